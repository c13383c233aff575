package certificates

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// SoonWindow is how close to its expiry a certificate is flagged.
const SoonWindow = 30 * 24 * time.Hour

// Expiry classes: the CSS class of console.css and a text label, so that
// the state is never told by colour alone.
type Expiry struct{ Class, Label string }

// ExpiryAt classifies a certificate that expires at notAfter, seen at now.
func ExpiryAt(notAfter, now time.Time) Expiry {
	left := notAfter.Sub(now)
	switch {
	case notAfter.IsZero():
		return Expiry{Label: "unknown"}
	case left <= 0:
		return Expiry{Class: "expiry-expired", Label: "expired"}
	case left < 24*time.Hour:
		return Expiry{Class: "expiry-soon", Label: "expires soon (within a day)"}
	case left < SoonWindow:
		return Expiry{Class: "expiry-soon", Label: fmt.Sprintf("expires soon (in %d days)", int(left.Hours()/24))}
	}
	return Expiry{Class: "expiry-ok", Label: "valid"}
}

// keyPair is a key pair as the pages show it: the details of its leaf
// certificate as Pomerium's records describe it, with names as text.
type keyPair struct {
	ID, Name, NamespaceID, NamespacePath string
	Subject, SubjectCN, Issuer, Serial   string
	DNS, IPs, Emails, URIs               []string
	KeyUsage                             []string
	NotBefore, NotAfter                  time.Time
	Created, Modified                    time.Time
	Expiry                               Expiry
	HasKey                               bool
	// PEM is the certificate chain: public, unlike the key, which the use
	// cases never return.
	PEM string
	// Meta says where the key pair came from; Sync is what the reconciler
	// found (nil: nothing yet).
	Meta store.ObjectMeta
	Sync *store.ObjectStatus
	// ReadOnly: the key pair mirrors a Kubernetes object.
	ReadOnly bool
	// CanDelete: the viewer may edit the key pairs of its namespace and it
	// is not read-only.
	CanDelete bool
}

// SANs are all the subject alternative names, for the list.
func (k keyPair) SANs() []string {
	out := make([]string, 0, len(k.DNS)+len(k.IPs)+len(k.Emails)+len(k.URIs))
	out = append(out, k.DNS...)
	out = append(out, k.IPs...)
	out = append(out, k.Emails...)
	return append(out, k.URIs...)
}

// Synced reports whether the reconciler said anything about the key pair.
func (k keyPair) Synced() bool { return k.Sync != nil }

func keyPairOf(v *ui.Viewer, kp *manage.KeyPair) keyPair {
	info := certificateInfo(kp.Certificate)
	out := keyPair{
		ID: kp.ID, Name: kp.Name, NamespaceID: kp.NamespaceID, NamespacePath: v.NamespacePath(kp.NamespaceID),
		Subject: nameOf(info.GetSubject()), SubjectCN: info.GetSubject().GetCommonName(), Issuer: nameOf(info.GetIssuer()),
		Serial: info.GetSerial(), DNS: info.GetDnsNames(), IPs: info.GetIpAddresses(), Emails: info.GetEmailAddresses(), URIs: info.GetUris(),
		KeyUsage:  usageOf(info.GetKeyUsage()),
		NotBefore: timeOf(info.GetNotBefore()), NotAfter: timeOf(info.GetNotAfter()),
		Created: kp.CreatedAt, Modified: kp.ModifiedAt,
		HasKey: kp.HasPrivateKey, PEM: string(kp.Certificate), Meta: kp.ObjectMeta, Sync: kp.Status,
		ReadOnly: kp.Origin == store.OriginKubernetes,
	}
	out.Expiry = ExpiryAt(out.NotAfter, time.Now())
	out.CanDelete = !out.ReadOnly && v.May(string(manage.EditKeyPairs), out.NamespaceID)
	return out
}

// certificateInfo describes the leaf of a certificate chain as the
// compiler describes it in KeyPair records; nil (no details) for a chain
// that does not parse, which the store refuses as input.
func certificateInfo(chain []byte) *configpb.CertificateInfo {
	certs, err := store.ParseCertificates(chain)
	if err != nil {
		return nil
	}
	return compile.CertificateInfo(certs[0])
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// nameOf writes a distinguished name as OpenSSL users read it, most
// specific first.
func nameOf(n *configpb.Name) string {
	if n == nil {
		return ""
	}
	var parts []string
	add := func(key string, values ...string) {
		for _, v := range values {
			if v != "" {
				parts = append(parts, key+"="+v)
			}
		}
	}
	add("CN", n.GetCommonName())
	add("OU", n.GetOrganizationalUnit()...)
	add("O", n.GetOrganization()...)
	add("STREET", n.GetStreetAddress()...)
	add("L", n.GetLocality()...)
	add("ST", n.GetProvince()...)
	add("POSTALCODE", n.GetPostalCode()...)
	add("C", n.GetCountry()...)
	add("SERIALNUMBER", n.GetSerialNumber())
	return strings.Join(parts, ", ")
}

func usageOf(u *configpb.KeyUsage) []string {
	var out []string
	for _, f := range []struct {
		set  bool
		name string
	}{
		{u.GetDigitalSignature(), "digital signature"}, {u.GetContentCommitment(), "content commitment"},
		{u.GetKeyEncipherment(), "key encipherment"}, {u.GetDataEncipherment(), "data encipherment"},
		{u.GetKeyAgreement(), "key agreement"}, {u.GetCertSign(), "certificate signing"}, {u.GetCrlSign(), "CRL signing"},
		{u.GetEncipherOnly(), "encipher only"}, {u.GetDecipherOnly(), "decipher only"},
		{u.GetServerAuth(), "TLS server authentication"}, {u.GetClientAuth(), "TLS client authentication"},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

package certificates

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
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

// keyPair is a key pair as the pages show it: what the service reports,
// with times as times and names as text.
type keyPair struct {
	ID, Name, NamespaceID, NamespacePath string
	Subject, SubjectCN, Issuer, Serial   string
	DNS, IPs, Emails, URIs               []string
	KeyUsage                             []string
	NotBefore, NotAfter                  time.Time
	Created, Modified                    time.Time
	Expiry                               Expiry
	HasKey                               bool
	// PEM is the certificate chain: public, unlike the key, which the
	// service never returns.
	PEM  string
	Sync *consolepb.SyncStatus
	// ReadOnly: the key pair mirrors a Kubernetes object.
	ReadOnly bool
	// CanDelete: the viewer is admin of its namespace and it is not
	// read-only.
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

// Synced reports whether the reconciler said anything about the key pair
// (a status with only an origin has no state).
func (k keyPair) Synced() bool { return k.Sync != nil && k.Sync.GetState() != "" }

func keyPairOf(v *ui.Viewer, kp *pb.KeyPairRecord) keyPair {
	info := kp.GetCertInfo()
	out := keyPair{
		ID: kp.GetId(), Name: kp.GetName(), NamespaceID: kp.GetNamespaceId(), NamespacePath: v.NamespacePath(kp.GetNamespaceId()),
		Subject: nameOf(info.GetSubject()), SubjectCN: info.GetSubject().GetCommonName(), Issuer: nameOf(info.GetIssuer()),
		Serial: info.GetSerial(), DNS: info.GetDnsNames(), IPs: info.GetIpAddresses(), Emails: info.GetEmailAddresses(), URIs: info.GetUris(),
		KeyUsage:  usageOf(info.GetKeyUsage()),
		NotBefore: timeOf(info.GetNotBefore()), NotAfter: timeOf(info.GetNotAfter()),
		Created: timeOf(kp.GetCreatedAt()), Modified: timeOf(kp.GetModifiedAt()),
		HasKey: kp.GetHasPrivateKey(), PEM: string(kp.GetCertificate()), Sync: kp.GetSyncStatus(),
		ReadOnly: kp.GetSyncStatus().GetOrigin() == string(store.OriginKubernetes),
	}
	out.Expiry = ExpiryAt(out.NotAfter, time.Now())
	out.CanDelete = !out.ReadOnly && v.Can(out.NamespaceID, string(store.RoleAdmin))
	return out
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// nameOf writes a distinguished name as OpenSSL users read it, most
// specific first.
func nameOf(n *pb.Name) string {
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

func usageOf(u *pb.KeyUsage) []string {
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

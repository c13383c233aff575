package convert

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// KeyPairFromCreate converts a request to create a key pair. The only
// format is PEM, which an unset format means too.
func KeyPairFromCreate(req *pb.CreateKeyPairRequest) (*store.KeyPair, error) {
	if err := checkFormat(req.Format); err != nil {
		return nil, err
	}
	return &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{ID: req.GetId(), NamespaceID: req.NamespaceId, Name: req.Name},
		Certificate: bytes.Clone(req.Certificate),
		PrivateKey:  bytes.Clone(req.Key),
	}, nil
}

// ApplyKeyPairUpdate applies the fields an update request sets to kp, the
// stored key pair. A key left out (or empty) keeps the stored one.
func ApplyKeyPairUpdate(kp *store.KeyPair, req *pb.UpdateKeyPairRequest) error {
	if req.Format != nil {
		if err := checkFormat(*req.Format); err != nil {
			return err
		}
	}
	if req.Name != nil {
		kp.Name = *req.Name
	}
	if req.Certificate != nil {
		kp.Certificate = bytes.Clone(req.Certificate)
	}
	kp.PrivateKey = bytes.Clone(req.Key)
	return nil
}

func checkFormat(f pb.Format) error {
	if f != pb.Format_PEM && f != pb.Format_FORMAT_UNDEFINED_DO_NOT_USE {
		return fieldErrorf("key_pair.format", "value %d is not a known Format: certificates and keys are PEM", f)
	}
	return nil
}

// KeyPairFromStore converts a stored key pair for the API: its certificate
// with the details of the first (leaf) certificate, never its private key.
// A certificate that does not parse gets no details; the store refuses
// such input, and the reconciler reports it. st is the reconciler's finding
// about the key pair (nil: none yet; see Meta).
func KeyPairFromStore(kp *store.KeyPair, st *store.ObjectStatus) *pb.KeyPairRecord {
	out := &pb.KeyPairRecord{
		Id:            kp.ID,
		Name:          kp.Name,
		NamespaceId:   kp.NamespaceID,
		CreatedAt:     timestamp(kp.CreatedAt),
		ModifiedAt:    timestamp(kp.ModifiedAt),
		HasPrivateKey: kp.HasPrivateKey || len(kp.PrivateKey) > 0,
		Certificate:   bytes.Clone(kp.Certificate),
	}
	if certs, err := store.ParseCertificates(kp.Certificate); err == nil {
		out.CertInfo = certificateInfo(certs[0])
	}
	out.Version, out.SyncStatus = Meta(kp.ObjectMeta, st)
	return out
}

// certificateInfo describes a certificate as pomerium.dashboard does; it
// matches the CertificateInfo the compiler writes into KeyPair records.
func certificateInfo(c *x509.Certificate) *pb.CertificateInfo {
	info := &pb.CertificateInfo{
		Version:                     int64(c.Version),
		Serial:                      c.SerialNumber.String(),
		Issuer:                      certName(c.Issuer),
		Subject:                     certName(c.Subject),
		NotBefore:                   timestamp(c.NotBefore),
		NotAfter:                    timestamp(c.NotAfter),
		KeyUsage:                    keyUsage(c),
		DnsNames:                    c.DNSNames,
		EmailAddresses:              c.EmailAddresses,
		PermittedDnsDomainsCritical: c.PermittedDNSDomainsCritical,
		PermittedDnsDomains:         c.PermittedDNSDomains,
		ExcludedDnsDomains:          c.ExcludedDNSDomains,
		PermittedEmailAddresses:     c.PermittedEmailAddresses,
		ExcludedEmailAddresses:      c.ExcludedEmailAddresses,
		PermittedUriDomains:         c.PermittedURIDomains,
		ExcludedUriDomains:          c.ExcludedURIDomains,
	}
	info.IpAddresses = stringsOf(c.IPAddresses)
	info.Uris = stringsOf(c.URIs)
	info.PermittedIpRanges = stringsOf(c.PermittedIPRanges)
	info.ExcludedIpRanges = stringsOf(c.ExcludedIPRanges)
	return info
}

func stringsOf[T interface{ String() string }](values []T) []string {
	var out []string
	for _, v := range values {
		out = append(out, v.String())
	}
	return out
}

func certName(n pkix.Name) *pb.Name {
	return &pb.Name{
		Country:            n.Country,
		Organization:       n.Organization,
		OrganizationalUnit: n.OrganizationalUnit,
		Locality:           n.Locality,
		Province:           n.Province,
		StreetAddress:      n.StreetAddress,
		PostalCode:         n.PostalCode,
		SerialNumber:       n.SerialNumber,
		CommonName:         n.CommonName,
	}
}

// keyUsages pairs the bits of a certificate's key usage with the fields of
// KeyUsage that report them.
var keyUsages = []struct {
	bit x509.KeyUsage
	set func(*pb.KeyUsage)
}{
	{x509.KeyUsageDigitalSignature, func(u *pb.KeyUsage) { u.DigitalSignature = true }},
	{x509.KeyUsageContentCommitment, func(u *pb.KeyUsage) { u.ContentCommitment = true }},
	{x509.KeyUsageKeyEncipherment, func(u *pb.KeyUsage) { u.KeyEncipherment = true }},
	{x509.KeyUsageDataEncipherment, func(u *pb.KeyUsage) { u.DataEncipherment = true }},
	{x509.KeyUsageKeyAgreement, func(u *pb.KeyUsage) { u.KeyAgreement = true }},
	{x509.KeyUsageCertSign, func(u *pb.KeyUsage) { u.CertSign = true }},
	{x509.KeyUsageCRLSign, func(u *pb.KeyUsage) { u.CrlSign = true }},
	{x509.KeyUsageEncipherOnly, func(u *pb.KeyUsage) { u.EncipherOnly = true }},
	{x509.KeyUsageDecipherOnly, func(u *pb.KeyUsage) { u.DecipherOnly = true }},
}

func keyUsage(c *x509.Certificate) *pb.KeyUsage {
	u := &pb.KeyUsage{}
	for _, k := range keyUsages {
		if c.KeyUsage&k.bit != 0 {
			k.set(u)
		}
	}
	for _, eku := range c.ExtKeyUsage {
		switch eku {
		case x509.ExtKeyUsageServerAuth:
			u.ServerAuth = true
		case x509.ExtKeyUsageClientAuth:
			u.ClientAuth = true
		}
	}
	return u
}

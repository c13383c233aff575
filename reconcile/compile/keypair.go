package compile

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// keyPairEntry is a key pair with the outcome of its validation.
type keyPairEntry struct {
	kp  *store.KeyPair
	err *fieldError
}

func (k *keyPairEntry) hasKey() bool { return len(k.kp.PrivateKey) > 0 }

// certificateBase64 is the certificate PEM in the base64 form that Pomerium's
// tls_custom_ca-style fields expect.
func (k *keyPairEntry) certificateBase64() string {
	return base64.StdEncoding.EncodeToString(k.kp.Certificate)
}

func (k *keyPairEntry) keyBase64() string {
	return base64.StdEncoding.EncodeToString(k.kp.PrivateKey)
}

// compileKeyPairs validates every key pair and emits the valid ones.
func (c *compiler) compileKeyPairs() {
	for _, kp := range c.st.KeyPairs {
		entry := &keyPairEntry{kp: kp}
		c.keyPairs[kp.ID] = entry
		var certs []*x509.Certificate
		certs, entry.err = c.validateKeyPair(kp)
		if entry.err == nil {
			entry.err = c.emitKeyPair(kp, certs)
		}
		if entry.err != nil {
			c.setStatus(store.KindKeyPair, kp.ID, entry.err.status())
			continue
		}
		c.setStatus(store.KindKeyPair, kp.ID, validStatus())
	}
}

func (c *compiler) validateKeyPair(kp *store.KeyPair) ([]*x509.Certificate, *fieldError) {
	if _, err := c.placement(kp.NamespaceID); err != nil {
		return nil, err
	}
	certs, err := store.ParseCertificates(kp.Certificate)
	if err != nil {
		return nil, fieldErrorf("certificate", "%v", err)
	}
	switch {
	case kp.HasPrivateKey && len(kp.PrivateKey) == 0:
		// Writing the record without the key would strip it from Pomerium.
		return nil, fieldErrorf("private_key", "is stored but was not loaded: compile a state read with secrets")
	case len(kp.PrivateKey) > 0:
		// Pomerium's settings validation runs tls.X509KeyPair on every
		// server certificate and fails the whole configuration on error.
		if _, err := tls.X509KeyPair(kp.Certificate, kp.PrivateKey); err != nil {
			return nil, fieldErrorf("private_key", "does not form a key pair with the certificate: %v", err)
		}
	}
	return certs, nil
}

func (c *compiler) emitKeyPair(kp *store.KeyPair, certs []*x509.Certificate) *fieldError {
	msg := &configpb.KeyPair{
		Id:           &kp.ID,
		NamespaceId:  &kp.NamespaceID,
		OriginatorId: new(OriginatorID),
		Name:         &kp.Name,
		Certificate:  kp.Certificate,
		CreatedAt:    timestamp(kp.CreatedAt),
		ModifiedAt:   timestamp(kp.ModifiedAt),
		Status:       configpb.KeyPairStatus_KEY_PAIR_STATUS_READY,
		Origin:       configpb.KeyPairOrigin_KEY_PAIR_ORIGIN_USER,
	}
	if len(kp.PrivateKey) > 0 {
		msg.Key = kp.PrivateKey
	}
	for _, cert := range certs {
		msg.CertificateInfo = append(msg.CertificateInfo, CertificateInfo(cert))
	}
	rec, err := newRecord(RecordTypeKeyPair, kp.ID, msg)
	if err != nil {
		return fieldErrorf("", "cannot be encoded: %v", err)
	}
	c.emit(store.KindKeyPair, rec)
	return nil
}

// keyPairRef resolves a reference from field to a key pair, which must exist
// and be valid, and hold a private key when needKey is set.
func (c *compiler) keyPairRef(field, id string, needKey bool) (*keyPairEntry, *fieldError) {
	entry, ok := c.keyPairs[id]
	if !ok {
		return nil, fieldErrorf(field, "key pair %s does not exist", id)
	}
	name := describe(entry.kp.Name, id)
	if entry.err != nil {
		return nil, fieldErrorf(field, "key pair %s is invalid: %s", name, entry.err.Error())
	}
	if needKey && !entry.hasKey() {
		return nil, fieldErrorf(field, "key pair %s has no private key", name)
	}
	return entry, nil
}

// CertificateInfo describes a certificate as Pomerium's KeyPair records do.
func CertificateInfo(cert *x509.Certificate) *configpb.CertificateInfo {
	info := &configpb.CertificateInfo{
		Version:                     int64(cert.Version),
		Serial:                      cert.SerialNumber.String(),
		Issuer:                      pkixName(cert.Issuer),
		Subject:                     pkixName(cert.Subject),
		NotBefore:                   timestamp(cert.NotBefore),
		NotAfter:                    timestamp(cert.NotAfter),
		KeyUsage:                    keyUsage(cert),
		DnsNames:                    cert.DNSNames,
		EmailAddresses:              cert.EmailAddresses,
		PermittedDnsDomainsCritical: cert.PermittedDNSDomainsCritical,
		PermittedDnsDomains:         cert.PermittedDNSDomains,
		ExcludedDnsDomains:          cert.ExcludedDNSDomains,
		PermittedEmailAddresses:     cert.PermittedEmailAddresses,
		ExcludedEmailAddresses:      cert.ExcludedEmailAddresses,
		PermittedUriDomains:         cert.PermittedURIDomains,
		ExcludedUriDomains:          cert.ExcludedURIDomains,
	}
	for _, ip := range cert.IPAddresses {
		info.IpAddresses = append(info.IpAddresses, ip.String())
	}
	for _, u := range cert.URIs {
		info.Uris = append(info.Uris, u.String())
	}
	for _, r := range cert.PermittedIPRanges {
		info.PermittedIpRanges = append(info.PermittedIpRanges, r.String())
	}
	for _, r := range cert.ExcludedIPRanges {
		info.ExcludedIpRanges = append(info.ExcludedIpRanges, r.String())
	}
	return info
}

func pkixName(n pkix.Name) *configpb.Name {
	return &configpb.Name{
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

func keyUsage(cert *x509.Certificate) *configpb.KeyUsage {
	ku := cert.KeyUsage
	usage := &configpb.KeyUsage{
		DigitalSignature:  ku&x509.KeyUsageDigitalSignature != 0,
		ContentCommitment: ku&x509.KeyUsageContentCommitment != 0,
		KeyEncipherment:   ku&x509.KeyUsageKeyEncipherment != 0,
		DataEncipherment:  ku&x509.KeyUsageDataEncipherment != 0,
		KeyAgreement:      ku&x509.KeyUsageKeyAgreement != 0,
		CertSign:          ku&x509.KeyUsageCertSign != 0,
		CrlSign:           ku&x509.KeyUsageCRLSign != 0,
		EncipherOnly:      ku&x509.KeyUsageEncipherOnly != 0,
		DecipherOnly:      ku&x509.KeyUsageDecipherOnly != 0,
	}
	for _, eku := range cert.ExtKeyUsage {
		switch eku {
		case x509.ExtKeyUsageServerAuth:
			usage.ServerAuth = true
		case x509.ExtKeyUsageClientAuth:
			usage.ClientAuth = true
		}
	}
	return usage
}

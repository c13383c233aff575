package importer

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pomerium-console/pomerium-console/store"
)

// KeyPairSpec is TLS material a route of the file carries inline, which
// Import stores as a key pair that the route references: the console keeps
// certificates as key pairs, and a key pair's private key is encrypted at
// rest where a route's fields are not.
type KeyPairSpec struct {
	// Name is derived from the certificate (subject and a digest), so that
	// routes sharing a certificate share one key pair and a second import
	// finds it again.
	Name string
	// Certificate is PEM: every certificate of the bundle, re-encoded.
	Certificate []byte
	// PrivateKey is PEM, empty for certificate authorities.
	PrivateKey []byte
	// Source is the first route that uses the key pair, e.g. "routes[4]".
	Source string
}

// keyPairSet collects the key pairs of a file, one per certificate.
type keyPairSet struct {
	byName map[string]*KeyPairSpec
	list   []*KeyPairSpec
}

// add returns the set's key pair for kp's certificate, which is kp itself
// when the file gave the certificate no earlier; an earlier one without a
// key takes kp's. Call conflict first.
func (s *keyPairSet) add(kp *KeyPairSpec) *KeyPairSpec {
	if kp == nil {
		return nil
	}
	if s.byName == nil {
		s.byName = make(map[string]*KeyPairSpec)
	}
	prev, ok := s.byName[kp.Name]
	switch {
	case !ok:
		s.byName[kp.Name] = kp
		s.list = append(s.list, kp)
		return kp
	case len(prev.PrivateKey) == 0:
		prev.PrivateKey = kp.PrivateKey
	}
	return prev
}

// conflict refuses a certificate the file already gave with another key.
func (s *keyPairSet) conflict(kp *KeyPairSpec) error {
	if kp == nil || len(kp.PrivateKey) == 0 {
		return nil
	}
	if prev, ok := s.byName[kp.Name]; ok && len(prev.PrivateKey) > 0 && !bytes.Equal(prev.PrivateKey, kp.PrivateKey) {
		return fmt.Errorf("the certificate %q is given with a different private key in %s", kp.Name, prev.Source)
	}
	return nil
}

func newKeyPairSpec(source string, certPEM, keyPEM []byte) (*KeyPairSpec, error) {
	certs, err := store.ParseCertificates(certPEM)
	if err != nil {
		return nil, err
	}
	var bundle bytes.Buffer
	digest := sha256.New()
	for _, c := range certs {
		digest.Write(c.Raw)
		if err := pem.Encode(&bundle, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			return nil, fmt.Errorf("encode certificate: %w", err)
		}
	}
	label := certs[0].Subject.CommonName
	if label == "" && len(certs[0].DNSNames) > 0 {
		label = certs[0].DNSNames[0]
	}
	label = cleanName(label, 200)
	if label == "" {
		label = "certificate"
	}
	return &KeyPairSpec{
		Name:        fmt.Sprintf("%s (%s)", label, hex.EncodeToString(digest.Sum(nil))[:8]),
		Certificate: bundle.Bytes(),
		PrivateKey:  keyPEM,
		Source:      source,
	}, nil
}

// inlinePEM decodes an inline TLS value. Pomerium takes base64-encoded PEM;
// plain PEM is accepted too since it cannot be mistaken for base64.
func inlinePEM(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return []byte(s + "\n"), nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("is not base64-encoded PEM")
	}
	if block, _ := pem.Decode(data); block == nil {
		return nil, errors.New("decodes from base64 but is not PEM")
	}
	return data, nil
}

// keyPairs turns the route's inline TLS material into key pairs of set. It
// reads all of it before adding any, so that a refused route brings none.
func (t *tlsInput) keyPairs(source string, set *keyPairSet) (ca, client, downstream *KeyPairSpec, err error) {
	if ca, err = t.authority("tls_custom_ca", t.customCA, source); err != nil {
		return nil, nil, nil, err
	}
	if downstream, err = t.authority("tls_downstream_client_ca", t.downstreamCA, source); err != nil {
		return nil, nil, nil, err
	}
	if client, err = t.clientCertificate(source); err != nil {
		return nil, nil, nil, err
	}
	if err := set.conflict(client); err != nil {
		return nil, nil, nil, at("tls_client_cert", err)
	}
	ca, downstream = set.add(ca), set.add(downstream)
	return ca, set.add(client), downstream, nil
}

func (t *tlsInput) authority(key, value, source string) (*KeyPairSpec, error) {
	if value == "" {
		return nil, nil
	}
	data, err := inlinePEM(value)
	if err != nil {
		return nil, at(key, err)
	}
	kp, err := newKeyPairSpec(source, data, nil)
	return kp, at(key, err)
}

func (t *tlsInput) clientCertificate(source string) (*KeyPairSpec, error) {
	switch {
	case t.clientCert == "" && t.clientKey == "":
		return nil, nil
	case t.clientKey == "":
		return nil, at("tls_client_cert", errors.New("needs tls_client_key as well"))
	case t.clientCert == "":
		return nil, at("tls_client_key", errors.New("needs tls_client_cert as well"))
	}
	cert, err := inlinePEM(t.clientCert)
	if err != nil {
		return nil, at("tls_client_cert", err)
	}
	key, err := inlinePEM(t.clientKey)
	if err != nil {
		return nil, at("tls_client_key", err)
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		return nil, at("tls_client_key", fmt.Errorf("does not form a key pair with tls_client_cert: %v", err))
	}
	kp, err := newKeyPairSpec(source, cert, key)
	return kp, at("tls_client_cert", err)
}

// cleanName makes s usable as an object name: valid UTF-8, no control
// characters, no surrounding space, at most max bytes.
func cleanName(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.TrimSpace(s)
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return strings.TrimSpace(s)
}

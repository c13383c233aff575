package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// SelfSignedValidity is how long a generated certificate is valid.
const SelfSignedValidity = 365 * 24 * time.Hour

// defaultHosts are always in a generated certificate, so that local clients
// can reach the console by any loopback name.
var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// ServerConfig returns a server TLS configuration that offers HTTP/2 (gRPC
// needs it) and HTTP/1.1. With certPEM and keyPEM it serves them; with
// neither it generates a self-signed ECDSA P-256 certificate for hosts and
// the loopback names, valid for SelfSignedValidity, and logs its SHA-256
// fingerprint.
func ServerConfig(certPEM, keyPEM []byte, hosts []string, log logr.Logger) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	switch {
	case len(certPEM) > 0 && len(keyPEM) > 0:
		if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
			return nil, fmt.Errorf("tls_cert and tls_key do not make a key pair: %w", err)
		}
	case len(certPEM) > 0:
		return nil, errors.New("tls_cert is set but tls_key is not: set both or neither")
	case len(keyPEM) > 0:
		return nil, errors.New("tls_key is set but tls_cert is not: set both or neither")
	default:
		if cert, err = selfSigned(hosts, time.Now()); err != nil {
			return nil, err
		}
		log.Info("serving a generated self-signed TLS certificate; set tls_cert and tls_key to serve your own",
			"sha256_fingerprint", Fingerprint(cert.Leaf), "hosts", certificateHosts(cert.Leaf),
			"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// Fingerprint is the SHA-256 of the certificate's DER, as upper-case hex
// pairs joined by colons: the form openssl x509 -fingerprint -sha256 and
// browsers show.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(pairs, ":")
}

// selfSigned makes a certificate for hosts and the loopback names.
func selfSigned(hosts []string, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate TLS serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"pomerium-console"}, CommonName: "pomerium-console self-signed"},
		// An hour back absorbs clients whose clocks run slow.
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(SelfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		// A CA flag lets clients trust this one certificate as its own root.
		IsCA: true,
	}
	for _, h := range append(slices.Clone(hosts), defaultHosts...) {
		h = strings.TrimSpace(h)
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host // a listen address names its host with a port
		}
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "" && !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create self-signed TLS certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse self-signed TLS certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func certificateHosts(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

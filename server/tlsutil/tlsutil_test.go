package tlsutil_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/pomerium-console/pomerium-console/server/tlsutil"
)

func TestServerConfigGeneratesASelfSignedCertificate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logged []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, args)
	}, funcr.Options{})
	cfg, err := tlsutil.ServerConfig(nil, nil, []string{"console.example.com", "10.0.0.7", "console.internal:8701", "localhost"}, log)
	if err != nil {
		t.Fatalf("ServerConfig: %v", err)
	}
	leaf := cfg.Certificates[0].Leaf
	if want := []string{"console.example.com", "console.internal", "localhost"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("DNS names = %v, want %v", leaf.DNSNames, want)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"10.0.0.7", "127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP addresses = %v, want %v", ips, want)
	}
	if key, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || key.Curve != elliptic.P256() {
		t.Errorf("public key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if life := time.Until(leaf.NotAfter); life < tlsutil.SelfSignedValidity-time.Minute || life > tlsutil.SelfSignedValidity {
		t.Errorf("certificate valid for another %s, want about a year", life)
	}
	fp := tlsutil.Fingerprint(leaf)
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fp) {
		t.Errorf("Fingerprint = %q, want 32 hex pairs joined by colons", fp)
	}
	mu.Lock()
	if len(logged) != 1 || !strings.Contains(logged[0], `"sha256_fingerprint"="`+fp+`"`) {
		t.Errorf("logged %q, want one line with the fingerprint %s", logged, fp)
	}
	mu.Unlock()
	// A client that pins this certificate reaches the server over HTTP/2.
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, name := range []string{"console.example.com", "127.0.0.1", "localhost"} {
		if proto := handshake(t, cfg, &tls.Config{RootCAs: roots, ServerName: name, NextProtos: []string{"h2"}}); proto != "h2" {
			t.Errorf("%s: negotiated %q, want h2", name, proto)
		}
	}
}

func TestServerConfigServesTheGivenPair(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, leaf := newPair(t, "console.example.com")
	cfg, err := tlsutil.ServerConfig(certPEM, keyPEM, []string{"ignored.example.com"}, funcr.New(func(_, args string) {
		t.Errorf("logged %s, want nothing for a given pair", args)
	}, funcr.Options{}))
	if err != nil {
		t.Fatalf("ServerConfig: %v", err)
	}
	if !cfg.Certificates[0].Leaf.Equal(leaf) {
		t.Error("the config serves another certificate than the one given")
	}
	if !slices.Equal(cfg.NextProtos, []string{"h2", "http/1.1"}) {
		t.Errorf("NextProtos = %v, want h2 and http/1.1", cfg.NextProtos)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	if proto := handshake(t, cfg, &tls.Config{RootCAs: roots, ServerName: "console.example.com", NextProtos: []string{"http/1.1"}}); proto != "http/1.1" {
		t.Errorf("negotiated %q, want http/1.1", proto)
	}
}

func TestServerConfigErrors(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, _ := newPair(t, "a.example.com")
	_, otherKey, _ := newPair(t, "b.example.com")
	for _, tc := range []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"key of another certificate", certPEM, otherKey, "tls_cert and tls_key do not make a key pair: tls: private key does not match public key"},
		{"cert without key", certPEM, nil, "tls_cert is set but tls_key is not: set both or neither"},
		{"key without cert", nil, keyPEM, "tls_key is set but tls_cert is not: set both or neither"},
		{"not PEM", []byte("nonsense"), keyPEM, "tls_cert and tls_key do not make a key pair: tls: failed to find any PEM data in certificate input"},
	} {
		_, err := tlsutil.ServerConfig(tc.cert, tc.key, nil, funcr.New(func(string, string) {}, funcr.Options{}))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: ServerConfig error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	_, _, leaf := newPair(t, "a.example.com")
	sum := sha256.Sum256(leaf.Raw)
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	if got := strings.ReplaceAll(tlsutil.Fingerprint(leaf), ":", ""); got != want {
		t.Errorf("Fingerprint without colons = %s, want %s", got, want)
	}
}

// handshake runs one TLS handshake against cfg on loopback and returns the
// negotiated protocol.
func handshake(t *testing.T, cfg, client *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ln.Close(); err != nil {
			t.Error(err)
		}
	}()
	served := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			err = conn.(*tls.Conn).HandshakeContext(t.Context())
			if cerr := conn.Close(); err == nil {
				err = cerr
			}
		}
		served <- err
	}()
	conn, err := (&tls.Dialer{Config: client}).DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	proto := conn.(*tls.Conn).ConnectionState().NegotiatedProtocol
	if err := conn.Close(); err != nil {
		t.Error(err)
	}
	if err := <-served; err != nil {
		t.Errorf("server side: %v", err)
	}
	return proto
}

// newPair returns a certificate for host and its key, as PEM: a generated
// one, as ServerConfig makes them.
func newPair(t *testing.T, host string) (certPEM, keyPEM []byte, leaf *x509.Certificate) {
	t.Helper()
	cfg, err := tlsutil.ServerConfig(nil, nil, []string{host}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	cert := cfg.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), cert.Leaf
}

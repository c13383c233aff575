package tlsutil_test

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/server/tlsutil"
)

// TestServerConfigRefusesOldTLS: clients offering only TLS 1.0 or 1.1 are
// refused in the handshake; 1.2 and 1.3 connect. The cipher suites are Go's
// defaults (the config names none), which Go keeps free of weak ones.
func TestServerConfigRefusesOldTLS(t *testing.T) {
	t.Parallel()
	cfg, err := tlsutil.ServerConfig(nil, nil, nil, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.CipherSuites != nil {
		t.Fatalf("MinVersion %s, CipherSuites %v; want TLS 1.2 and Go's defaults", tls.VersionName(cfg.MinVersion), cfg.CipherSuites)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // the listener closed at the end of the test
			}
			go func() {
				// The handshake's outcome is what the client sees.
				_ = conn.(*tls.Conn).HandshakeContext(t.Context())
				_ = conn.Close()
			}()
		}
	}()
	roots := x509.NewCertPool()
	roots.AddCert(cfg.Certificates[0].Leaf)
	for _, version := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		err := testcert.DialVersion(t.Context(), ln.Addr().String(), roots, version)
		if old := version < tls.VersionTLS12; old != (err != nil) {
			t.Errorf("%s: handshake error %v, want refused: %t", tls.VersionName(version), err, old)
		} else if old && !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("%s: refused with %v, want a protocol version alert", tls.VersionName(version), err)
		}
	}
}

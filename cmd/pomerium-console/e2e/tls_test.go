package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
)

// TestEveryTLSListenerRefusesOldVersions runs serve with a certificate, so
// that both the API (grpc_addr) and the web console (bind_addr) speak TLS,
// and connects to each offering one TLS version at a time: 1.0 and 1.1 are
// refused in the handshake, 1.2 and 1.3 connect. The metrics listener
// speaks plain HTTP and is left out.
func TestEveryTLSListenerRefusesOldVersions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testcert.NewCA(t)
	certFile, keyFile := consolebin.WriteServerCert(t, dir, ca)
	listeners := map[string]string{"grpc_addr": loopback.FreeAddr(t), "bind_addr": loopback.FreeAddr(t)}
	metrics := loopback.FreeAddr(t)
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(
		"data_dir: %s\ngrpc_addr: %s\nbind_addr: %s\nmetrics_addr: %s\ntls_cert_file: %s\ntls_key_file: %s\n",
		filepath.Join(dir, "data"), listeners["grpc_addr"], listeners["bind_addr"], metrics, certFile, keyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "serve.log")
	proc, err := consolebin.Start(binary, config, logPath, metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := proc.Stop(stopTimeout); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("end of serve's log:\n%s", consolebin.LogTail(logPath, 16<<10))
		}
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	for key, addr := range listeners {
		for _, version := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
			err := testcert.DialVersion(t.Context(), addr, roots, version)
			if old := version < tls.VersionTLS12; old != (err != nil) {
				t.Errorf("%s: %s: handshake error %v, want refused: %t", key, tls.VersionName(version), err, old)
			} else if old && !strings.Contains(err.Error(), "protocol version") {
				t.Errorf("%s: %s: refused with %v, want a protocol version alert", key, tls.VersionName(version), err)
			}
		}
	}
}

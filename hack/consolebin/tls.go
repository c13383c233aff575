package consolebin

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/pomerium-console/pomerium-console/hack/testcert"
)

// WriteServerCert writes a certificate for 127.0.0.1 issued by ca, and
// its key, into dir, for a console that serves its API over TLS to
// clients that trust ca.
func WriteServerCert(t testing.TB, dir string, ca *testcert.CA) (certFile, keyFile string) {
	t.Helper()
	cert := ca.Issue(t, "127.0.0.1")
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for path, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		keyFile:  {Type: "PRIVATE KEY", Bytes: key},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// Bearer sends a console token on every gRPC call, as the official
// clients do: metadata "authorization: Pomerium <token>", over TLS only.
type Bearer string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Pomerium " + string(b)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (Bearer) RequireTransportSecurity() bool { return true }

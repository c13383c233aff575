package config

import (
	"crypto/x509"
	"testing"
)

func TestRootCAsAddTLSCAToTheSystemRoots(t *testing.T) {
	t.Parallel()
	if roots, err := (Config{}).RootCAs(); roots != nil || err != nil {
		t.Errorf("RootCAs without tls_ca = %v, %v; want nil (the system roots), nil", roots, err)
	}
	roots, err := (Config{tlsCA: []byte(pems.cert)}).RootCAs()
	if err != nil {
		t.Fatal(err)
	}
	want, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	want.AppendCertsFromPEM([]byte(pems.cert))
	if !roots.Equal(want) {
		t.Error("RootCAs with tls_ca is not the system roots and the tls_ca certificate")
	}
}

package webtest

import (
	"crypto/x509"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/testcert"
)

// SelfSigned makes a self-signed server certificate for the common name
// cn, valid for a year until notAfter, with a SAN of every kind (DNS, IP,
// email, URI), and returns it and its private key as PEM.
func SelfSigned(t testing.TB, cn string, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	return testcert.SelfSigned(t, []string{cn, "alt." + cn}, notAfter, func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.ParseIP("192.0.2.7")}
		c.EmailAddresses = []string{"ops@" + cn}
		c.URIs = []*url.URL{{Scheme: "spiffe", Host: "example.org", Path: "/app"}}
	})
}

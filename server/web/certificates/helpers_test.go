package certificates_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/certificates"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

var actor = store.Actor{Subject: "test", Origin: store.OriginAPI}

// env starts the console with this screen only, so that the tests do not
// depend on the screens beside it.
func env(t *testing.T) (*webtest.Env, store.Store) {
	t.Helper()
	st := webtest.Postgres(t, srv)
	return webtest.New(t, st, webtest.Options{Screens: []web.Screen{certificates.Register}}), st
}

// pair is a certificate and its key, as PEM.
type pair struct{ Cert, Key string }

// selfSigned makes a self-signed ECDSA certificate for a server with the
// given common name, valid until notAfter, with one SAN of every kind.
func selfSigned(t *testing.T, cn string, notAfter time.Time) pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Example Org"}},
		NotBefore:    notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter,
		DNSNames:       []string{cn, "alt." + cn},
		IPAddresses:    []net.IP{net.ParseIP("192.0.2.7")},
		EmailAddresses: []string{"ops@" + cn},
		URIs:           []*url.URL{{Scheme: "spiffe", Host: "example.org", Path: "/app"}},
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pair{
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		Key:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
	}
}

// put stores a key pair directly, to set up a test.
func put(t *testing.T, st store.Store, ns, name string, p pair) *store.KeyPair {
	t.Helper()
	kp, err := store.Put(t.Context(), st, actor, &store.KeyPair{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, Certificate: []byte(p.Cert), PrivateKey: []byte(p.Key),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// keyPairs lists the stored key pairs by name.
func keyPairs(t *testing.T, st store.Store) map[string]*store.KeyPair {
	t.Helper()
	got, err := st.List(t.Context(), store.KindKeyPair, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.KeyPair{}
	for _, o := range got.Objects {
		kp := o.(*store.KeyPair)
		out[kp.Name] = kp
	}
	return out
}

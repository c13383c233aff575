package certificates_test

import (
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/certificates"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var actor = store.Actor{Subject: "test", Origin: store.OriginAPI}

// env starts the console with this screen only, so that the tests do not
// depend on the screens beside it.
func env(t *testing.T) (*webtest.Env, store.Store) {
	t.Helper()
	st := webtest.Embedded(t)
	return webtest.New(t, st, webtest.Options{Screens: []web.Screen{certificates.Register}}), st
}

// pair is a certificate and its key, as PEM.
type pair struct{ Cert, Key string }

// selfSigned makes a server certificate for cn valid until notAfter.
func selfSigned(t *testing.T, cn string, notAfter time.Time) pair {
	cert, key := webtest.SelfSigned(t, cn, notAfter)
	return pair{Cert: string(cert), Key: string(key)}
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

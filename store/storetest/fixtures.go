package storetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// testPPL is a small, valid PPL document. The store does not interpret PPL,
// but the suite gives it realistic input anyway.
const testPPL = "allow:\n  or:\n    - email:\n        is: user@example.com\n"

func newNamespace(parent, name string) *store.Namespace {
	return &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}
}

func newPolicy(ns, name string) *store.Policy {
	return &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, PPL: testPPL}
}

func newRoute(ns, name, from string, policyIDs ...string) *store.Route {
	return &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
		Spec: &configpb.Route{
			From:      from,
			To:        []string{"https://upstream.internal.example"},
			PolicyIds: policyIDs,
		},
	}
}

func newKeyPair(ns, name string, cert, key []byte) *store.KeyPair {
	return &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{NamespaceID: ns, Name: name},
		Certificate: cert,
		PrivateKey:  key,
	}
}

func newServiceAccount(ns, name string) *store.ServiceAccount {
	return &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}}
}

func newPermission(ns string, st store.SubjectType, subject string, role store.Role) *store.NamespacePermission {
	return &store.NamespacePermission{
		ObjectMeta:  store.ObjectMeta{NamespaceID: ns},
		SubjectType: st,
		SubjectID:   subject,
		Role:        role,
	}
}

// contentKinds are the kinds that live inside a namespace and have no fixed
// id: what a namespace can hold besides child namespaces.
var contentKinds = []store.Kind{
	store.KindPolicy, store.KindRoute, store.KindKeyPair,
	store.KindServiceAccount, store.KindNamespacePermission,
}

// namedKinds are the kinds whose objects carry a user-chosen, unique name.
var namedKinds = []store.Kind{
	store.KindNamespace, store.KindPolicy, store.KindRoute,
	store.KindKeyPair, store.KindServiceAccount,
}

// newObject returns a valid, unsaved object of kind k in namespace ns. The
// name is used as is for named kinds and as the subject of a permission, so
// that distinct names give objects that do not collide.
func newObject(t testing.TB, k store.Kind, ns, name string) store.Object {
	t.Helper()
	switch k {
	case store.KindNamespace:
		return newNamespace(ns, name)
	case store.KindPolicy:
		return newPolicy(ns, name)
	case store.KindRoute:
		return newRoute(ns, name, "https://"+name+".example.com")
	case store.KindKeyPair:
		c := newCertificate(t, name)
		return newKeyPair(ns, name, c.certPEM, c.pkcs8PEM(t))
	case store.KindServiceAccount:
		return newServiceAccount(ns, name)
	case store.KindNamespacePermission:
		return newPermission(ns, store.SubjectUser, name, store.RoleViewer)
	}
	t.Fatalf("no fixture for kind %q", k)
	return nil
}

// testCert is a self-signed certificate with its key.
type testCert struct {
	certPEM []byte
	key     crypto.Signer
}

// newCertificate returns a self-signed ECDSA P-256 certificate for cn.
func newCertificate(t testing.TB, cn string) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return selfSigned(t, cn, key)
}

// newRSACertificate returns a self-signed RSA certificate, for the PKCS#1
// key format that only RSA keys have.
func newRSACertificate(t testing.TB, cn string) testCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return selfSigned(t, cn, key)
}

func selfSigned(t testing.TB, cn string, key crypto.Signer) testCert {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{cn + ".example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return testCert{certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}
}

// pkcs8PEM returns the key as a "PRIVATE KEY" block.
func (c testCert) pkcs8PEM(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// legacyPEM returns the key in its algorithm's own format: "EC PRIVATE KEY"
// (SEC 1) or "RSA PRIVATE KEY" (PKCS#1).
func (c testCert) legacyPEM(t testing.TB) []byte {
	t.Helper()
	switch k := c.key.(type) {
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatalf("marshal key: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	}
	t.Fatalf("no legacy format for %T", c.key)
	return nil
}

// put writes obj as the API actor and fails the test on error.
func put[T store.Object](f *fixture, obj T) T {
	f.t.Helper()
	return putAs(f, apiActor, obj)
}

// putAs writes obj as actor and fails the test on error.
func putAs[T store.Object](f *fixture, actor store.Actor, obj T) T {
	f.t.Helper()
	got, err := store.Put(f.ctx, f.s, actor, obj, 0)
	if err != nil {
		f.t.Fatalf("put %s %q: %v", obj.Kind(), obj.GetObjectMeta().Name, err)
	}
	return got
}

// get reads a live object and fails the test on error.
func get[T store.Object](f *fixture, id string, opts ...store.GetOption) T {
	f.t.Helper()
	got, err := store.Get[T](f.ctx, f.s, id, opts...)
	if err != nil {
		var zero T
		f.t.Fatalf("get %s %s: %v", zero.Kind(), id, err)
	}
	return got
}

// apply runs ops as actor and fails the test on error.
func (f *fixture) apply(actor store.Actor, ops ...store.Op) []store.Object {
	f.t.Helper()
	objs, err := f.s.Apply(f.ctx, actor, ops...)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	if len(objs) != len(ops) {
		f.t.Fatalf("apply returned %d objects for %d ops", len(objs), len(ops))
	}
	return objs
}

// del deletes an object as the API actor and fails the test on error.
func (f *fixture) del(op store.DeleteOp) {
	f.t.Helper()
	if err := store.Delete(f.ctx, f.s, apiActor, op); err != nil {
		f.t.Fatalf("delete %s %s: %v", op.Kind, op.ID, err)
	}
}

// version returns the store's version and fails the test on error.
func (f *fixture) version() int64 {
	f.t.Helper()
	v, err := f.s.Version(f.ctx)
	if err != nil {
		f.t.Fatalf("version: %v", err)
	}
	return v
}

package store_test

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/internal/hostile"
	"github.com/pomerium-console/pomerium-console/store"
)

// validateBound is how long one validation may take: every rule is linear
// in its input, which the fuzzer bounds.
const validateBound = time.Second

// wantStoreError fails unless err is a *store.Error of code invalid that
// names a field and says why.
func wantStoreError(t *testing.T, err error) *store.Error {
	t.Helper()
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeInvalid || se.Field == "" || se.Reason == "" {
		t.Fatalf("refusal %v is not an invalid-field error naming a field and a reason", err)
	}
	return se
}

// FuzzValidate feeds the store's own rules objects with arbitrary names
// and text: they never panic, a refusal names a field, and what they
// accept can be read back, since every name encodes as a protobuf string
// (valid UTF-8, no control characters) and a route's spec encodes and
// decodes back equal.
func FuzzValidate(f *testing.F) {
	for _, seed := range []struct{ name, from, to, ppl string }{
		{"a", "https://a.example.com", "http://a", "allow: {and: [{accept: true}]}"},
		{"", "", "", ""},
		{" a", "https://b.example.com", "http://b,3", "x"},
		{"a\x00b", "https://c", "http://c", "allow: {}"},
		// Regression: invalid UTF-8 in a name was stored, and no read of
		// it could encode.
		{"caf\xe9", "https://caf\xe9.example.com", "http://\xff", "allow:\n  and:\n  - email: {is: \"\xfe\"}"},
		{"'; DROP TABLE objects; --", "https://{{ .Secret }}.example.com", "http://${HOME}", "{{ .Secret }}"},
		{"раураl", "https://аpple.com", "http://a", "allow: {and: [{domain: {is: аpple.com}}]}"},
	} {
		f.Add(seed.name, seed.from, seed.to, seed.ppl)
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, name, from, to, ppl string) {
		start := time.Now()
		route := &store.Route{ObjectMeta: store.ObjectMeta{Name: name, NamespaceID: store.GlobalNamespaceID},
			Spec: &configpb.Route{From: from, To: []string{to}, SetRequestHeaders: map[string]string{name: ppl}, Description: proto.String(ppl)}}
		objects := []store.Object{
			&store.Namespace{ObjectMeta: store.ObjectMeta{Name: name, NamespaceID: store.GlobalNamespaceID}},
			&store.Policy{ObjectMeta: store.ObjectMeta{Name: name, NamespaceID: store.GlobalNamespaceID}, PPL: ppl, Description: from},
			route,
			&store.ServiceAccount{ObjectMeta: store.ObjectMeta{Name: name, NamespaceID: store.GlobalNamespaceID}, UserID: to, Description: ppl},
			&store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}, SubjectType: store.SubjectUser, SubjectID: name, Role: store.RoleViewer},
		}
		for _, obj := range objects {
			before := store.Clone(obj)
			err := store.Validate(obj, now, true)
			if err != nil {
				wantStoreError(t, err)
				continue
			}
			if n := obj.GetObjectMeta().Name; n != "" && (!utf8.ValidString(n) || strings.ContainsFunc(n, unicode.IsControl)) {
				t.Fatalf("%s: accepted name %q", obj.Kind(), n)
			}
			if p, ok := obj.(*store.Policy); ok && !utf8.ValidString(p.PPL) {
				t.Fatalf("accepted PPL %q, which is not UTF-8", p.PPL)
			}
			if r, ok := before.(*store.Route); ok {
				checkSpecRoundTrip(t, r.Spec)
			}
		}
		if d := time.Since(start); d > validateBound {
			t.Fatalf("validation took %v, more than %v", d, validateBound)
		}
	})
}

// checkSpecRoundTrip fails unless spec, accepted by the store, encodes
// and decodes back equal.
func checkSpecRoundTrip(t *testing.T, spec *configpb.Route) {
	t.Helper()
	b, err := proto.Marshal(spec)
	if err != nil {
		t.Fatalf("accepted route spec does not encode: %v", err)
	}
	var back configpb.Route
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatalf("accepted route spec does not decode: %v", err)
	}
	if diff := cmp.Diff(spec, &back, protocmp.Transform()); diff != "" {
		t.Fatalf("accepted route spec changed through the wire (-stored +read):\n%s", diff)
	}
}

// FuzzParseCertificates feeds PEM bundles to the parser of key pairs and
// cluster CA bundles: it never panics, a refusal says why, and every
// certificate it returns encodes back to PEM that parses to the same
// certificates.
func FuzzParseCertificates(f *testing.F) {
	cert, _ := testcert.SelfSigned(f, []string{"a.example.com"}, time.Now().Add(time.Hour))
	for _, seed := range [][]byte{
		cert,
		append(append([]byte{}, cert...), cert...),
		[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		[]byte("not pem"),
		{},
		// A certificate block holding deeply nested ASN.1 sequences.
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hostile.NestedASN1(200)}),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		certs, err := store.ParseCertificates(data)
		if d := time.Since(start); d > validateBound {
			t.Fatalf("parsing %d bytes took %v", len(data), d)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refusal without a reason")
			}
			if certs != nil {
				t.Fatal("refusal with certificates")
			}
			return
		}
		var again []byte
		for _, c := range certs {
			again = append(again, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		back, err := store.ParseCertificates(again)
		if err != nil {
			t.Fatalf("accepted certificates do not parse again: %v", err)
		}
		if len(back) != len(certs) {
			t.Fatalf("%d certificates read back as %d", len(certs), len(back))
		}
		for i := range certs {
			if !certs[i].Equal(back[i]) {
				t.Fatalf("certificate %d differs when read back", i)
			}
		}
	})
}

// FuzzValidateKeyMaterial feeds the store's rules key pairs (certificate
// and private key) and a cluster's CA bundle of arbitrary bytes: they
// never panic and answer in bounded time; a refusal names the field of the
// material; an accepted key pair's certificates parse, and with its key it
// is a key pair Go's TLS stack loads.
func FuzzValidateKeyMaterial(f *testing.F) {
	cert, key := testcert.SelfSigned(f, []string{"a.example.com"}, time.Now().Add(time.Hour))
	_, otherKey := testcert.SelfSigned(f, []string{"b.example.com"}, time.Now().Add(time.Hour))
	for _, seed := range [][2][]byte{
		{cert, key},
		{cert, nil},
		{cert, otherKey},
		{append(append([]byte{}, cert...), cert...), key},
		{[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")},
		{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hostile.NestedASN1(500)}), key},
		{cert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: hostile.NestedASN1(500)})},
	} {
		f.Add(seed[0], seed[1])
	}
	now := time.Unix(1_800_000_000, 0)
	fields := map[string]bool{"certificate": true, "private_key": true, "certificate_authority": true}
	f.Fuzz(func(t *testing.T, cert, key []byte) {
		start := time.Now()
		kp := &store.KeyPair{ObjectMeta: store.ObjectMeta{Name: "k", NamespaceID: store.GlobalNamespaceID}, Certificate: cert, PrivateKey: key}
		kpErr := store.Validate(kp, now, true)
		cl := &store.Cluster{ObjectMeta: store.ObjectMeta{Name: "c"}, DatabrokerServiceURL: "https://databroker.internal:5443",
			SharedSecret: make([]byte, 32), CertificateAuthority: cert}
		clErr := store.Validate(cl, now, true)
		if d := time.Since(start); d > validateBound {
			t.Fatalf("validating %d bytes of key material took %v", len(cert)+len(key), d)
		}
		for _, err := range []error{kpErr, clErr} {
			if err != nil {
				if se := wantStoreError(t, err); !fields[se.Field] {
					t.Fatalf("refusal %v names %q, not a field of the key material", err, se.Field)
				}
			}
		}
		if kpErr != nil {
			return
		}
		certs, err := store.ParseCertificates(cert)
		if err != nil || len(certs) == 0 {
			t.Fatalf("accepted certificate does not parse: %v", err)
		}
		if len(key) > 0 {
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				t.Fatalf("accepted key pair is not one to TLS: %v", err)
			}
		}
	})
}

package storetest

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

func testKeyPairs(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "CertificateRules", newEnv, func(t *testing.T, f *fixture) {
		c := newCertificate(t, "kp")
		block, _ := pem.Decode(c.certPEM)
		garbled := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes[:len(block.Bytes)/2]})
		for name, cert := range map[string][]byte{
			"empty":          nil,
			"not PEM":        []byte("hello"),
			"only a key":     c.pkcs8PEM(t),
			"garbled":        garbled,
			"wrong PEM type": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: block.Bytes}),
		} {
			t.Logf("certificate: %s", name)
			f.rejectsPut(newKeyPair(store.GlobalNamespaceID, "kp", cert, nil), store.CodeInvalid, "certificate")
		}
		// A chain with a key block in front still holds a certificate.
		chain := append(c.pkcs8PEM(t), c.certPEM...)
		put(f, newKeyPair(store.GlobalNamespaceID, "chain", chain, nil))
	})
	subtest(t, "PrivateKeyFormats", newEnv, func(t *testing.T, f *fixture) {
		ec := newCertificate(t, "ec")
		rsa := newRSACertificate(t, "rsa")
		for name, c := range map[string]struct{ cert, key []byte }{
			"ec-pkcs8":  {ec.certPEM, ec.pkcs8PEM(t)},
			"ec-sec1":   {ec.certPEM, ec.legacyPEM(t)},
			"rsa-pkcs8": {rsa.certPEM, rsa.pkcs8PEM(t)},
			"rsa-pkcs1": {rsa.certPEM, rsa.legacyPEM(t)},
		} {
			kp := put(f, newKeyPair(store.GlobalNamespaceID, name, c.cert, c.key))
			if got := get[*store.KeyPair](f, kp.ID, store.WithSecrets()); !bytes.Equal(got.PrivateKey, c.key) {
				t.Errorf("%s: private key read back = %q, want %q", name, got.PrivateKey, c.key)
			}
		}
	})
	subtest(t, "PrivateKeyRules", newEnv, func(t *testing.T, f *fixture) {
		c := newCertificate(t, "kp")
		other := newCertificate(t, "other")
		for name, key := range map[string][]byte{
			"not PEM":        []byte("hello"),
			"a certificate":  c.certPEM,
			"another key":    other.pkcs8PEM(t),
			"garbled":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")}),
			"unknown type":   pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: []byte("x")}),
			"mislabelled EC": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: mustDER(t, c.legacyPEM(t))}),
		} {
			t.Logf("private key: %s", name)
			f.rejectsPut(newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, key), store.CodeInvalid, "private_key")
		}
	})
	subtest(t, "SecretsOnRequest", newEnv, func(t *testing.T, f *fixture) {
		c := newCertificate(t, "kp")
		key := c.pkcs8PEM(t)
		kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, key))
		plain := get[*store.KeyPair](f, kp.ID)
		if len(plain.PrivateKey) != 0 || !plain.HasPrivateKey || !bytes.Equal(plain.Certificate, c.certPEM) {
			t.Errorf("get without secrets = key %q, has key %v, certificate %q; want no key, has key, the certificate",
				plain.PrivateKey, plain.HasPrivateKey, plain.Certificate)
		}
		secret := get[*store.KeyPair](f, kp.ID, store.WithSecrets())
		if !bytes.Equal(secret.PrivateKey, key) || !secret.HasPrivateKey {
			t.Errorf("get with secrets = key %q (has key %v), want %q", secret.PrivateKey, secret.HasPrivateKey, key)
		}
		for _, secrets := range []bool{false, true} {
			var opts []store.GetOption
			if secrets {
				opts = append(opts, store.WithSecrets())
			}
			st, err := f.s.Load(f.ctx, opts...)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(st.KeyPairs) != 1 {
				t.Fatalf("load returned %d key pairs, want 1", len(st.KeyPairs))
			}
			loaded := st.KeyPairs[0]
			want := plain
			if secrets {
				want = secret
			}
			assertEqual(t, fmt.Sprintf("key pair loaded (secrets: %v)", secrets), want, loaded)
		}
		bare := put(f, newKeyPair(store.GlobalNamespaceID, "bare", c.certPEM, nil))
		if got := get[*store.KeyPair](f, bare.ID, store.WithSecrets()); got.HasPrivateKey || len(got.PrivateKey) != 0 {
			t.Errorf("key pair stored without a key = has key %v, key %q; want none", got.HasPrivateKey, got.PrivateKey)
		}
	})
	subtest(t, "UpdateKeepsKey", newEnv, func(t *testing.T, f *fixture) {
		c := newCertificate(t, "kp")
		key := c.pkcs8PEM(t)
		kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, key))
		edit := get[*store.KeyPair](f, kp.ID)
		edit.Name = "renamed"
		put(f, edit)
		got := get[*store.KeyPair](f, kp.ID, store.WithSecrets())
		if got.Name != "renamed" || !bytes.Equal(got.PrivateKey, key) {
			t.Errorf("after a rename without a key: name %q, key %q; want renamed and the stored key", got.Name, got.PrivateKey)
		}
		// Replacing both certificate and key is allowed.
		c2 := newCertificate(t, "kp2")
		got.Certificate, got.PrivateKey = c2.certPEM, c2.legacyPEM(t)
		put(f, got)
		if got := get[*store.KeyPair](f, kp.ID, store.WithSecrets()); !bytes.Equal(got.PrivateKey, c2.legacyPEM(t)) {
			t.Errorf("after replacing the key: key %q, want the new key", got.PrivateKey)
		}
	})
	subtest(t, "KeyNotInActivity", newEnv, testKeyNotInActivity)
	subtest(t, "DeleteInUseRefused", newEnv, testKeyPairInUse)
}

func mustDER(t *testing.T, pemData []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(pemData)
	if block == nil {
		t.Fatalf("not PEM: %q", pemData)
	}
	return block.Bytes
}

func testKeyNotInActivity(t *testing.T, f *fixture) {
	c := newCertificate(t, "kp")
	key := c.pkcs8PEM(t)
	kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, key))
	edit := get[*store.KeyPair](f, kp.ID)
	edit.Name = "renamed"
	put(f, edit)
	c2 := newCertificate(t, "kp2")
	key2 := c2.legacyPEM(t)
	put(f, newKeyPair(store.GlobalNamespaceID, "kp", c2.certPEM, key2))
	f.del(store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID})

	page, err := f.s.Activity(f.ctx, store.ActivityQuery{EntityType: store.KindKeyPair})
	if err != nil {
		t.Fatalf("activity: %v", err)
	}
	if len(page.Entries) != 4 {
		t.Errorf("key pair activity has %d entries, want 4", len(page.Entries))
	}
	// A line of the key's base64 body leaks key material, unless the same
	// text is in the certificate: an EC key carries its public point, which
	// can encode to the same base64 as in the certificate.
	secrets := []string{"PRIVATE KEY"}
	for _, k := range []struct{ key, cert []byte }{{key, c.certPEM}, {key2, c2.certPEM}} {
		secrets = append(secrets, base64.StdEncoding.EncodeToString(k.key)[32:96])
		for _, line := range strings.Split(string(k.key), "\n") {
			if line != "" && !strings.HasPrefix(line, "-----") && !bytes.Contains(k.cert, []byte(line)) {
				secrets = append(secrets, line)
			}
		}
	}
	for _, e := range page.Entries {
		for _, s := range secrets {
			if strings.Contains(e.Snapshot, s) || strings.Contains(e.Diff, s) {
				t.Errorf("activity entry %d (%s, version %d) contains private key text %q", e.ID, e.Action, e.Version, s)
			}
		}
	}
}

// testKeyPairInUse checks that a key pair a route or the settings use
// cannot be deleted until they stop using it.
func testKeyPairInUse(t *testing.T, f *fixture) {
	c := newCertificate(t, "kp")
	kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, c.pkcs8PEM(t)))
	r := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
	r.Spec.TlsClientKeyPairId = proto.String(kp.ID)
	r = put(f, r)
	s := newSettings("warn")
	s.Spec.CertificateKeyPairIds = []string{kp.ID}
	s = put(f, s)
	err := f.rejectsDelete(store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID}, store.CodeFailedPrecondition, "")
	for _, user := range []string{"route " + r.ID, "settings " + s.ID} {
		if err == nil || !strings.Contains(err.Error(), user) {
			t.Errorf("refusal %v does not name %s", err, user)
		}
	}
	r.Spec.TlsClientKeyPairId = nil
	put(f, r)
	s.Spec.CertificateKeyPairIds = nil
	put(f, s)
	f.del(store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID})
}

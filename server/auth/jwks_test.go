package auth_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/auth"
)

// pomeriumJWKS serves a JWKS over TLS, as Pomerium's authenticate service
// does, and counts the fetches.
type pomeriumJWKS struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey
	status  int
	fetches int
}

func newPomeriumJWKS(t *testing.T) *pomeriumJWKS {
	t.Helper()
	j := &pomeriumJWKS{keys: map[string]*ecdsa.PrivateKey{}, status: http.StatusOK}
	j.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.fetches++
		if j.status != http.StatusOK {
			http.Error(w, "unavailable", j.status)
			return
		}
		var doc struct {
			Keys []map[string]string `json:"keys"`
		}
		// Pomerium may publish other keys beside its signing keys.
		doc.Keys = append(doc.Keys, map[string]string{"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"})
		for kid, key := range j.keys {
			b, err := key.PublicKey.Bytes()
			if err != nil {
				t.Error(err)
			}
			doc.Keys = append(doc.Keys, map[string]string{
				"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
				"x": base64.RawURLEncoding.EncodeToString(b[1:33]), "y": base64.RawURLEncoding.EncodeToString(b[33:]),
			})
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(doc); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(j.srv.Close)
	return j
}

func (j *pomeriumJWKS) url() string { return j.srv.URL + "/.well-known/pomerium/jwks.json" }

func (j *pomeriumJWKS) set(status int, keys map[string]*ecdsa.PrivateKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status, j.keys = status, keys
}

func (j *pomeriumJWKS) fetchCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fetches
}

// newJWKSFixture is a fixture that trusts a JWKS served by the returned
// server, and signing_key too when withSigningKey is set.
func newJWKSFixture(t *testing.T, withSigningKey bool) (*pomeriumJWKS, *fixture) {
	t.Helper()
	j := newPomeriumJWKS(t)
	return j, newFixture(t, func(o *auth.Options) {
		o.JWKSURL, o.HTTPClient = j.url(), j.srv.Client()
		if !withSigningKey {
			o.SigningKey = nil
		}
	})
}

func TestJWKSKeyRotation(t *testing.T) {
	t.Parallel()
	j, f := newJWKSFixture(t, false)
	k1, k2 := newKey(t), newKey(t)
	j.set(http.StatusOK, map[string]*ecdsa.PrivateKey{"k1": k1})
	step := func(name string, key *ecdsa.PrivateKey, kid string, wantFetches int) (*auth.Principal, error) {
		t.Helper()
		p, err := f.authenticate(assertion(sign(t, key, kid, f.claims())))
		if got := j.fetchCount(); got != wantFetches {
			t.Errorf("%s: %d fetches of the JWKS, want %d", name, got, wantFetches)
		}
		return p, err
	}
	if _, err := step("first use", k1, "k1", 1); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := step("known kid", k1, "k1", 1); err != nil {
		t.Fatalf("known kid: %v", err)
	}
	// Pomerium rotates to k2 and publishes both for a while.
	j.set(http.StatusOK, map[string]*ecdsa.PrivateKey{"k1": k1, "k2": k2})
	p, err := step("unknown kid within the minute", k2, "k2", 1)
	wantRefused(t, p, err, auth.ReasonUnknownKey, `Pomerium assertion: is signed with key "k2", which the JWKS at `+j.url()+` does not hold (it holds "k1")`)
	f.clock.Advance(auth.JWKSRefetchInterval)
	if _, err := step("unknown kid a minute later", k2, "k2", 2); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if _, err := step("no kid: every key is tried", k2, "", 2); err != nil {
		t.Fatalf("no kid: %v", err)
	}
	p, err = step("known kid, wrong key", k1, "k2", 2)
	wantRefused(t, p, err, auth.ReasonBadSignature, `Pomerium assertion: signature does not verify with the JWKS at `+j.url()+` (kid "k2")`)
}

func TestJWKSUnreachable(t *testing.T) {
	t.Parallel()
	j, f := newJWKSFixture(t, false)
	key := newKey(t)
	j.set(http.StatusServiceUnavailable, nil)
	token := sign(t, key, "k1", f.claims())
	for i := range 2 {
		_, err := f.authenticate(assertion(token))
		if err == nil || errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "status 503 Service Unavailable") {
			t.Errorf("attempt %d: error %v, want one that is not ErrUnauthenticated and names the status", i, err)
		}
	}
	if got := j.fetchCount(); got != 1 {
		t.Errorf("%d fetches within a minute, want 1", got)
	}
	j.set(http.StatusOK, map[string]*ecdsa.PrivateKey{"k1": key})
	f.clock.Advance(auth.JWKSRefetchInterval)
	if _, err := f.authenticate(assertion(sign(t, key, "k1", f.claims()))); err != nil {
		t.Errorf("after the JWKS came back: %v", err)
	}
}

func TestJWKSBesideSigningKey(t *testing.T) {
	t.Parallel()
	j, f := newJWKSFixture(t, true)
	jwksKey := newKey(t)
	j.set(http.StatusOK, map[string]*ecdsa.PrivateKey{"k1": jwksKey})
	for name, key := range map[string]*ecdsa.PrivateKey{"signing_key": f.pomerium, "JWKS": jwksKey} {
		kid := "k1"
		if key == f.pomerium {
			kid = "not-in-the-jwks"
		}
		if _, err := f.authenticate(assertion(sign(t, key, kid, f.claims()))); err != nil {
			t.Errorf("signed with the %s key: %v", name, err)
		}
	}
	p, err := f.authenticate(assertion(sign(t, newKey(t), "k1", f.claims())))
	wantRefused(t, p, err, auth.ReasonBadSignature, `signature does not verify with signing_key or the JWKS at `+j.url()+` (kid "k1")`)
	if got := j.fetchCount(); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
}

func TestJWKSWithoutUsableKeys(t *testing.T) {
	t.Parallel()
	j, f := newJWKSFixture(t, false)
	j.set(http.StatusOK, nil)
	_, err := f.authenticate(assertion(sign(t, newKey(t), "k1", f.claims())))
	if err == nil || !strings.Contains(err.Error(), "holds no ES256 (P-256) signing key among its 1 keys") {
		t.Errorf("error %v, want one saying the JWKS holds no usable key", err)
	}
}

// The fetch is made for every waiting request, so a request that gives up
// must not abort it.
func TestJWKSFetchOutlivesACancelledRequest(t *testing.T) {
	t.Parallel()
	j, f := newJWKSFixture(t, false)
	key := newKey(t)
	j.set(http.StatusOK, map[string]*ecdsa.PrivateKey{"k1": key})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.auth.Authenticate(ctx, assertion(sign(t, key, "k1", f.claims()))); err != nil {
		t.Errorf("Authenticate with a cancelled context: %v", err)
	}
}

package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/golang-jwt/jwt/v5"

	"github.com/pomerium-console/pomerium-console/hack/testclock"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var testActor = store.Actor{Subject: "test", Origin: store.OriginAPI}

const audience = "console.example.com"

// newClock is the injected time, which tests move instead of waiting. It
// starts at the real time, because the store checks a service account's
// expiry against it on create.
func newClock() *testclock.Clock { return testclock.New(time.Now().Truncate(time.Second)) }

// fixture is an Authenticator over a real embedded store, trusting
// pomerium's key as signing_key.
type fixture struct {
	t        *testing.T
	st       store.Store
	clock    *testclock.Clock
	auth     *auth.Authenticator
	pomerium *ecdsa.PrivateKey
}

func newFixture(t *testing.T, edit ...func(*auth.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, st: openStore(t), clock: newClock(), pomerium: newKey(t)}
	o := auth.Options{
		Store: f.st, Audience: []string{audience},
		Administrators: []string{"admin@example.com", "admin-id", "console-admins"},
		SigningKey:     publicPEM(t, f.pomerium),
		Now:            f.clock.Now, Logger: testr.New(t),
	}
	for _, e := range edit {
		e(&o)
	}
	a, err := auth.New(t.Context(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.auth = a
	return f
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return storetest.Embedded(t, key)
}

func (f *fixture) authenticate(h http.Header) (*auth.Principal, error) {
	f.t.Helper()
	return f.auth.Authenticate(f.t.Context(), h)
}

// serviceAccount creates a service account in the Global namespace.
func (f *fixture) serviceAccount(name string, expiresAt time.Time) *store.ServiceAccount {
	f.t.Helper()
	sa, err := store.Put(f.t.Context(), f.st, testActor, &store.ServiceAccount{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: name}, ExpiresAt: expiresAt,
	}, 0)
	if err != nil {
		f.t.Fatalf("put service account: %v", err)
	}
	return sa
}

func (f *fixture) serviceAccountToken(sa *store.ServiceAccount) string {
	f.t.Helper()
	token, err := f.auth.IssueServiceAccountToken(f.t.Context(), sa)
	if err != nil {
		f.t.Fatalf("IssueServiceAccountToken: %v", err)
	}
	return token
}

// claims are those of a valid Pomerium assertion at now.
func (f *fixture) claims() jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss": "authenticate.example.com", "aud": audience, "sub": "user-1", "email": "alice@example.com",
		"name": "Alice", "groups": []string{"engineering", "00gk3"}, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": "c0ffee",
	}
}

func header(name, value string) http.Header {
	h := http.Header{}
	h.Set(name, value)
	return h
}

func bearer(token string) http.Header { return header(auth.AuthorizationHeader, "Pomerium "+token) }

func assertion(token string) http.Header { return header(auth.AssertionHeader, token) }

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func publicPEM(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// sign makes an ES256 JWT, with a kid header when kid is not empty.
func sign(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.Claims) string {
	t.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	if kid != "" {
		token.Header["kid"] = kid
	}
	s, err := token.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantRefused checks that err refuses a credential for reason, with a
// message holding every one of want.
func wantRefused(t *testing.T, p *auth.Principal, err error, reason auth.Reason, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Authenticate = %+v, want an error (%s)", p, reason)
	}
	var refused *auth.Error
	if !errors.As(err, &refused) || !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("error %q (%T) is not an *auth.Error matching ErrUnauthenticated", err, err)
	}
	if refused.Reason != reason {
		t.Errorf("reason = %s, want %s (error %q)", refused.Reason, reason, err)
	}
	if got := errors.Is(err, auth.ErrNoCredentials); got != (reason == auth.ReasonNoCredentials) {
		t.Errorf("errors.Is(err, ErrNoCredentials) = %v for reason %s", got, reason)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error is\n%s\nwant it to contain\n%s", err, w)
		}
	}
}

package auth_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestAssertion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, err := f.authenticate(assertion(sign(t, f.pomerium, "", f.claims())))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := &auth.Principal{
		Kind: auth.KindUser, Subject: "alice@example.com", UserID: "user-1", Email: "alice@example.com", Name: "Alice",
		Groups: []string{"engineering", "00gk3"}, ExpiresAt: f.clock.Now().Add(5 * time.Minute),
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
}

func TestAssertionClaimForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name        string
		edit        func(jwt.MapClaims)
		wantSubject string
	}{
		{"aud as a list", func(c jwt.MapClaims) { c["aud"] = []string{"other.example.com", audience} }, "alice@example.com"},
		{"aud in another case", func(c jwt.MapClaims) { c["aud"] = "Console.Example.COM" }, "alice@example.com"},
		{"no email: the subject is the id", func(c jwt.MapClaims) { delete(c, "email") }, "user-1"},
		{"expired within the leeway", func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-30 * time.Second).Unix() }, "alice@example.com"},
		{"no groups", func(c jwt.MapClaims) { delete(c, "groups") }, "alice@example.com"},
	} {
		claims := f.claims()
		tc.edit(claims)
		p, err := f.authenticate(assertion(sign(t, f.pomerium, "", claims)))
		if err != nil {
			t.Errorf("%s: Authenticate: %v", tc.name, err)
			continue
		}
		if p.Subject != tc.wantSubject {
			t.Errorf("%s: Subject = %q, want %q", tc.name, p.Subject, tc.wantSubject)
		}
	}
}

func TestAssertionRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := newKey(t)
	now := f.clock.Now()
	for _, tc := range []struct {
		name   string
		key    *ecdsa.PrivateKey
		edit   func(jwt.MapClaims)
		reason auth.Reason
		want   string
	}{
		{"wrong audience", f.pomerium, func(c jwt.MapClaims) { c["aud"] = "other.example.com" }, auth.ReasonWrongAudience,
			`Pomerium assertion: is for audience "other.example.com", want one of "console.example.com"`},
		{"no audience", f.pomerium, func(c jwt.MapClaims) { delete(c, "aud") }, auth.ReasonWrongAudience,
			`Pomerium assertion: has no aud, want one of "console.example.com"`},
		{"expired", f.pomerium, func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }, auth.ReasonExpired,
			"Pomerium assertion: expired at " + now.Add(-2*time.Minute).UTC().Format(time.RFC3339) + ", 2m0s ago"},
		{"no exp", f.pomerium, func(c jwt.MapClaims) { delete(c, "exp") }, auth.ReasonMalformed, "Pomerium assertion: has no exp"},
		{"not yet valid", f.pomerium, func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }, auth.ReasonNotYetValid,
			"Pomerium assertion: is not valid before " + now.Add(5*time.Minute).UTC().Format(time.RFC3339)},
		{"issued in the future", f.pomerium, func(c jwt.MapClaims) { c["iat"] = now.Add(3 * time.Minute).Unix() }, auth.ReasonNotYetValid,
			"Pomerium assertion: is issued at " + now.Add(3*time.Minute).UTC().Format(time.RFC3339) + ", in the future"},
		{"wrong signature", other, func(jwt.MapClaims) {}, auth.ReasonBadSignature,
			"Pomerium assertion: signature does not verify with signing_key"},
		{"no sub", f.pomerium, func(c jwt.MapClaims) { delete(c, "sub") }, auth.ReasonMalformed, "Pomerium assertion: has no sub"},
		{"groups not strings", f.pomerium, func(c jwt.MapClaims) { c["groups"] = []int{1} }, auth.ReasonMalformed,
			"Pomerium assertion: is not a valid JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			claims := f.claims()
			tc.edit(claims)
			p, err := f.authenticate(assertion(sign(t, tc.key, "", claims)))
			wantRefused(t, p, err, tc.reason, tc.want)
		})
	}
}

func TestAssertionSignedWithAnotherAlgorithm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// HS256 with the public key's PEM as the secret: the classic confusion.
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims()).SignedString(publicPEM(t, f.pomerium))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.authenticate(assertion(token))
	wantRefused(t, p, err, auth.ReasonBadSignature, "Pomerium assertion: is signed with HS256, want ES256")
}

func TestAssertionNeedsConfiguration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*auth.Options)
		want string
	}{
		{"no key", func(o *auth.Options) { o.SigningKey = nil },
			"Pomerium assertion: cannot be verified: set signing_key (Pomerium's signing key) or signing_key_jwks_url (Pomerium's JWKS)"},
		{"no audience", func(o *auth.Options) { o.Audience = nil },
			"Pomerium assertion: cannot be accepted: set audience to the host names the console is reached at through Pomerium"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.edit)
			p, err := f.authenticate(assertion(sign(t, f.pomerium, "", f.claims())))
			wantRefused(t, p, err, auth.ReasonNotConfigured, tc.want)
		})
	}
}

func TestAdministrator(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // administrators: admin@example.com, admin-id, console-admins
	for _, tc := range []struct {
		name string
		edit func(jwt.MapClaims)
		want bool
	}{
		{"neither", func(jwt.MapClaims) {}, false},
		{"by email, in any case", func(c jwt.MapClaims) { c["email"] = "Admin@Example.COM" }, true},
		{"by user id", func(c jwt.MapClaims) { c["sub"] = "admin-id" }, true},
		{"user id is case-sensitive", func(c jwt.MapClaims) { c["sub"] = "ADMIN-ID" }, false},
		{"by group", func(c jwt.MapClaims) { c["groups"] = []string{"console-admins"} }, true},
		{"email as a group", func(c jwt.MapClaims) { c["groups"] = []string{"admin@example.com"} }, true},
	} {
		claims := f.claims()
		tc.edit(claims)
		p, err := f.authenticate(assertion(sign(t, f.pomerium, "", claims)))
		if err != nil {
			t.Fatalf("%s: Authenticate: %v", tc.name, err)
		}
		if p.Administrator != tc.want {
			t.Errorf("%s: Administrator = %v, want %v", tc.name, p.Administrator, tc.want)
		}
	}
}

func TestServiceAccountAdministratorByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("bootstrap", time.Time{})
	a, err := auth.New(t.Context(), auth.Options{Store: f.st, Administrators: []string{sa.ID}, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Authenticate(t.Context(), bearer(f.serviceAccountToken(sa)))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Administrator {
		t.Errorf("service account %s listed in administrators: Administrator = false", sa.ID)
	}
}

func TestSignInRecordedOncePerMinute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	signIn := func(groups ...string) {
		t.Helper()
		claims := f.claims()
		claims["groups"] = groups
		if _, err := f.authenticate(assertion(sign(t, f.pomerium, "", claims))); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
	}
	recorded := func() store.User {
		t.Helper()
		users, total, err := f.st.Users(t.Context(), store.UserQuery{IDs: []string{"user-1"}})
		if err != nil || total != 1 {
			t.Fatalf("Users = %v, %d, %v; want one user", users, total, err)
		}
		return users[0]
	}
	first := f.clock.Now()
	signIn("a")
	f.clock.Advance(59 * time.Second)
	signIn("b") // within the minute: not written
	if u := recorded(); !u.SeenAt.Equal(first) || !cmp.Equal(u.Groups, []string{"a"}) {
		t.Errorf("after two sign-ins within a minute: %+v, want seen at %s with groups [a]", u, first)
	}
	f.clock.Advance(time.Second)
	signIn("b")
	want := store.User{ID: "user-1", Email: "alice@example.com", Name: "Alice", Groups: []string{"b"}, SeenAt: first.Add(time.Minute)}
	if diff := cmp.Diff(want, recorded()); diff != "" {
		t.Errorf("after a minute (-want +got):\n%s", diff)
	}
}

func TestSigningKeyForms(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	key := newKey(t)
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	for _, tc := range []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"public key", publicPEM(t, key), ""},
		{"EC private key", encode("EC PRIVATE KEY", sec1), ""},
		{"PKCS#8 private key", encode("PRIVATE KEY", pkcs8), ""},
		{"certificate only", encode("CERTIFICATE", []byte("x")), "signing_key: holds no PUBLIC KEY, EC PRIVATE KEY or PRIVATE KEY block"},
		{"RSA key", rsaPEM(t), "signing_key: is a *rsa.PublicKey key, want ECDSA P-256 (ES256)"},
		{"broken key", encode("PUBLIC KEY", []byte("x")), "signing_key: PUBLIC KEY block: "},
	} {
		clock := newClock()
		a, err := auth.New(t.Context(), auth.Options{Store: st, Audience: []string{audience}, SigningKey: tc.pem, Now: clock.Now})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: New = %v, want an error containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: New: %v", tc.name, err)
		}
		f := &fixture{t: t, clock: clock}
		if _, err := a.Authenticate(t.Context(), assertion(sign(t, key, "", f.claims()))); err != nil {
			t.Errorf("%s: Authenticate: %v", tc.name, err)
		}
	}
}

func rsaPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

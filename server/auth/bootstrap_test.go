package auth_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/server/auth"
)

// The jti and sub Pomerium's Terraform provider and SDK give every
// bootstrap token.
const (
	bootstrapJTI = "014e587b-3f4b-4fcf-90a9-f6ecdf8154af"
	bootstrapSub = "bootstrap-014e587b-3f4b-4fcf-90a9-f6ecdf8154af.pomerium"
)

// providerBootstrapToken signs a token as the provider's
// GenerateBootstrapServiceAccountToken does: HS256 with the decoded shared
// secret, header typ JWT, claims jti, sub, iat = now and nbf = now + nbf
// (the provider uses 0, the SDK -1s), no exp.
func providerBootstrapToken(t *testing.T, secret []byte, now time.Time, nbf time.Duration) string {
	t.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		ID: bootstrapJTI, Subject: bootstrapSub,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(nbf)),
	})
	s, err := token.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hs256 signs any claims with secret.
func hs256(t *testing.T, secret []byte, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSecret(t *testing.T) []byte {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return secret
}

func withSecret(secret []byte) func(*auth.Options) {
	return func(o *auth.Options) { o.SharedSecret = secret }
}

func TestBootstrapTokenIsAGlobalAdmin(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	f := newFixture(t, withSecret(secret))
	want := &auth.Principal{Kind: auth.KindBootstrap, Subject: bootstrapSub, UserID: bootstrapSub,
		Name: "bootstrap service account", Administrator: true}
	now := f.clock.Now()
	// The databroker token the SDK sends in the jwt header on
	// GetServerInfo: signed with the same secret, with only exp.
	databroker := hs256(t, secret, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))})
	for _, tc := range []struct {
		name string
		h    http.Header
	}{
		{"provider (nbf now)", bearer(providerBootstrapToken(t, secret, now, 0))},
		{"sdk (nbf now-1s)", bearer(providerBootstrapToken(t, secret, now, -time.Second))},
		{"issued 50s ahead of our clock", bearer(providerBootstrapToken(t, secret, now.Add(50*time.Second), 0))},
		{"issued a year ago", bearer(providerBootstrapToken(t, secret, now.AddDate(-1, 0, 0), 0))},
		{"Bearer scheme", header(auth.AuthorizationHeader, "Bearer "+providerBootstrapToken(t, secret, now, 0))},
		{"jwt header with the databroker token beside it", func() http.Header {
			h := bearer(providerBootstrapToken(t, secret, now, -time.Second))
			h.Set(auth.JWTHeader, databroker)
			return h
		}()},
		{"jwt header with the same token beside it", func() http.Header {
			token := providerBootstrapToken(t, secret, now, -time.Second)
			h := bearer(token)
			h.Set(auth.JWTHeader, token)
			return h
		}()},
	} {
		p, err := f.authenticate(tc.h)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s: principal (-want +got):\n%s", tc.name, diff)
		}
		if id := p.Identity(); !id.Administrator || id.Subject != bootstrapSub {
			t.Errorf("%s: identity %+v, want an administrator known as %s", tc.name, id, bootstrapSub)
		}
	}
}

func TestBootstrapTokenRefused(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	f := newFixture(t, withSecret(secret))
	now := f.clock.Now()
	for _, tc := range []struct {
		name   string
		token  string
		reason auth.Reason
		want   string
	}{
		{"another secret", providerBootstrapToken(t, newSecret(t), now, 0),
			auth.ReasonBadSignature, "bootstrap token: signature does not verify with the shared_secret"},
		{"nbf past the leeway", providerBootstrapToken(t, secret, now, auth.Leeway+time.Second),
			auth.ReasonNotYetValid, "bootstrap token: is not valid before " + now.Add(auth.Leeway+time.Second).UTC().Format(time.RFC3339)},
		{"iat past the leeway", hs256(t, secret, jwt.RegisteredClaims{Subject: bootstrapSub, IssuedAt: jwt.NewNumericDate(now.Add(2 * time.Minute))}),
			auth.ReasonNotYetValid, "bootstrap token: is issued at "},
		{"expired", hs256(t, secret, jwt.RegisteredClaims{Subject: bootstrapSub, ExpiresAt: jwt.NewNumericDate(now.Add(-time.Hour))}),
			auth.ReasonExpired, "bootstrap token: expired at "},
		{"databroker token", hs256(t, secret, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}),
			auth.ReasonMalformed, "bootstrap token: has no sub: the console takes the bootstrap token"},
		{"another sub", hs256(t, secret, jwt.RegisteredClaims{Subject: "admin@example.com"}),
			auth.ReasonMalformed, `bootstrap token: sub "admin@example.com" is not bootstrap-<uuid>.pomerium`},
		{"sub without the suffix", hs256(t, secret, jwt.RegisteredClaims{Subject: "bootstrap-" + bootstrapJTI}),
			auth.ReasonMalformed, "is not bootstrap-<uuid>.pomerium"},
	} {
		p, err := f.authenticate(bearer(tc.token))
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, p, err, tc.reason, tc.want) })
	}
}

func TestBootstrapTokenWithoutSharedSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	secret := newSecret(t)
	p, err := f.authenticate(bearer(providerBootstrapToken(t, secret, f.clock.Now(), 0)))
	wantRefused(t, p, err, auth.ReasonNotConfigured,
		"bootstrap token: is signed with HS256, and the console accepts that only for the bootstrap token of its shared_secret, which is not configured")
	// An empty secret is no secret: a token signed with no key at all must
	// not pass.
	empty := newFixture(t, withSecret([]byte{}))
	p, err = empty.authenticate(bearer(providerBootstrapToken(t, nil, f.clock.Now(), 0)))
	wantRefused(t, p, err, auth.ReasonNotConfigured, "shared_secret, which is not configured")
}

func TestBootstrapSecretIsCopied(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	kept := bytes.Clone(secret)
	f := newFixture(t, withSecret(secret))
	clear(secret)
	if _, err := f.authenticate(bearer(providerBootstrapToken(t, kept, f.clock.Now(), 0))); err != nil {
		t.Errorf("a token of the configured secret, after the caller's slice was cleared: %v", err)
	}
}

func TestJWTHeaderAloneIsNoCredential(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	f := newFixture(t, withSecret(secret))
	p, err := f.authenticate(header(auth.JWTHeader, providerBootstrapToken(t, secret, f.clock.Now(), 0)))
	wantRefused(t, p, err, auth.ReasonMalformed, `jwt header: is not a credential on its own: send the token as "authorization: Pomerium <token>"`)
}

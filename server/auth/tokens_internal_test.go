package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestConsoleTokenClaims forges tokens with the console's own keys, which
// only this package can do, to check the claims a valid signature does not
// vouch for by itself.
func TestConsoleTokenClaims(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a := &Authenticator{accounts: internalKey(t), recovery: internalKey(t), now: func() time.Time { return now }}
	claims := func(typ, iss string, exp *jwt.NumericDate) *consoleClaims {
		return &consoleClaims{Type: typ, NamespaceID: "ns", RegisteredClaims: jwt.RegisteredClaims{
			Issuer: iss, Subject: "sa", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: exp,
		}}
	}
	hour := jwt.NewNumericDate(now.Add(time.Hour))
	for _, tc := range []struct {
		name   string
		key    *ecdsa.PrivateKey
		claims *consoleClaims
		reason Reason
		want   string
	}{
		{"recovery claims under the service account key", a.accounts, claims(typeRecovery, Issuer, hour),
			ReasonBadSignature, "recovery token: signature does not verify with the console's recovery key"},
		{"service account claims under the recovery key", a.recovery, claims(typeServiceAccount, Issuer, nil),
			ReasonBadSignature, "service account token: signature does not verify with the console's service account key"},
		{"unknown typ", a.accounts, claims("session", Issuer, hour),
			ReasonWrongIssuer, `token in the authorization header: is neither a service account token nor a recovery token (typ "session")`},
		{"another issuer", a.accounts, claims(typeServiceAccount, "someone-else", nil),
			ReasonWrongIssuer, `service account token: is issued by "someone-else", want "pomerium-console"`},
		{"recovery token without exp", a.recovery, claims(typeRecovery, Issuer, nil),
			ReasonMalformed, "recovery token: has no exp"},
		{"issued in the future", a.accounts, func() *consoleClaims {
			c := claims(typeServiceAccount, Issuer, nil)
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
			return c
		}(), ReasonNotYetValid, "service account token: is issued at "},
	} {
		token, err := sign(tc.key, tc.claims)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.consoleToken(t.Context(), token)
		var refused *Error
		if !errors.As(err, &refused) || refused.Reason != tc.reason || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want reason %s and a message containing %q", tc.name, err, tc.reason, tc.want)
		}
	}
}

func TestThrottleForgetsOldKeys(t *testing.T) {
	t.Parallel()
	th := newThrottle(time.Minute)
	start := time.Now()
	for i, key := range []string{"a", "b", "c"} {
		if !th.take(key, start.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("take(%s) = false on first use", key)
		}
	}
	if !th.take("d", start.Add(2*time.Minute)) {
		t.Fatal("take(d) = false on first use")
	}
	if len(th.last) != 1 {
		t.Errorf("throttle holds %d keys after a sweep, want 1 (d)", len(th.last))
	}
}

func internalKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

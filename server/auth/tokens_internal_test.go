package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
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

// TestServiceAccountTokenIDs: a token signed before accounts could choose
// a user names its account by its sub alone and still works; a token whose
// sub is not the user of the account it names is refused.
func TestServiceAccountTokenIDs(t *testing.T) {
	t.Parallel()
	st := storetest.Embedded(t, make([]byte, 32))
	a, err := New(t.Context(), Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	legacy, err := store.Put(t.Context(), st, actor, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "legacy"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	chosen, err := store.Put(t.Context(), st, actor, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "chosen"}, UserID: "ci"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := a.newClaims(typeServiceAccount, legacy.ID, a.now())
	token, err := sign(a.accounts, old)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.consoleToken(t.Context(), token)
	if err != nil || p.UserID != legacy.ID || p.Subject != "service_account:"+legacy.ID {
		t.Fatalf("a token without service_account_id: %+v, %v; want account %s", p, err, legacy.ID)
	}
	forged := a.newClaims(typeServiceAccount, legacy.ID, a.now())
	forged.ServiceAccountID = chosen.ID
	if token, err = sign(a.accounts, forged); err != nil {
		t.Fatal(err)
	}
	_, err = a.consoleToken(t.Context(), token)
	var refused *Error
	want := fmt.Sprintf("service account token: names user %q, but service account %s acts as user \"ci\"", legacy.ID, chosen.ID)
	if !errors.As(err, &refused) || refused.Reason != ReasonMalformed || err.Error() != want {
		t.Errorf("a token naming another user than its account's: %v, want %q", err, want)
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

package auth_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestServiceAccountToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", time.Time{})
	token := f.serviceAccountToken(sa)
	want := &auth.Principal{
		Kind: auth.KindServiceAccount, Subject: "service_account:" + sa.ID, UserID: sa.ID, Name: "ci",
	}
	for _, scheme := range []string{"Pomerium", "Bearer", "pomerium", "BEARER"} {
		p, err := f.authenticate(header(auth.AuthorizationHeader, scheme+" "+token))
		if err != nil {
			t.Fatalf("%s: Authenticate: %v", scheme, err)
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s: principal (-want +got):\n%s", scheme, diff)
		}
	}
}

// TestServiceAccountTokenOfAChosenUser: an account that chose its user id
// is that user to permissions and is named by it in its token's sub, but
// never becomes one of the configured administrators by naming one.
func TestServiceAccountTokenOfAChosenUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, user := range []string{"deploy@9d8dbd2c-8cce-4e66-9c1f-c490b4a07243.pomerium", "admin-id", "admin@example.com"} {
		sa, err := store.Put(t.Context(), f.st, testActor, &store.ServiceAccount{
			ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "acting as " + user}, UserID: user,
		}, 0)
		if err != nil {
			t.Fatal(err)
		}
		token := f.serviceAccountToken(sa)
		var claims jwt.MapClaims
		if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
			t.Fatal(err)
		}
		if claims["sub"] != user || claims["service_account_id"] != sa.ID {
			t.Errorf("%s: token claims sub %v, service_account_id %v; want the user and %s", user, claims["sub"], claims["service_account_id"], sa.ID)
		}
		p, err := f.authenticate(bearer(token))
		if err != nil {
			t.Fatalf("%s: Authenticate: %v", user, err)
		}
		want := &auth.Principal{Kind: auth.KindServiceAccount, Subject: "service_account:" + sa.ID, UserID: user, Name: "acting as " + user}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%s: principal (-want +got):\n%s", user, diff)
		}
	}
}

func TestServiceAccountTokenCarriesTheAccountExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	expires := f.clock.Now().Add(time.Hour)
	p, err := f.authenticate(bearer(f.serviceAccountToken(f.serviceAccount("ci", expires))))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !p.ExpiresAt.Equal(expires) {
		t.Errorf("ExpiresAt = %s, want %s", p.ExpiresAt, expires)
	}
}

func TestServiceAccountTokenExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.serviceAccountToken(f.serviceAccount("ci", f.clock.Now().Add(time.Hour)))
	f.clock.Advance(2 * time.Hour)
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonExpired, "service account token: expired at ", ", 1h0m0s ago")
}

func TestServiceAccountTokenSignedByAnotherKey(t *testing.T) {
	t.Parallel()
	f, other := newFixture(t), newFixture(t)
	token := other.serviceAccountToken(other.serviceAccount("ci", time.Time{}))
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonBadSignature,
		"service account token: signature does not verify with the console's service account key")
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q quotes the token", err)
	}
}

func TestServiceAccountDeletedRevokesItsTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", time.Time{})
	token := f.serviceAccountToken(sa)
	if _, err := f.authenticate(bearer(token)); err != nil {
		t.Fatalf("Authenticate before delete: %v", err)
	}
	if err := store.Delete(t.Context(), f.st, testActor, store.DeleteOp{Kind: store.KindServiceAccount, ID: sa.ID}); err != nil {
		t.Fatal(err)
	}
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonRevoked, fmt.Sprintf("service account token: service account %s no longer exists", sa.ID))
}

func TestServiceAccountExpiredAfterIssue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", f.clock.Now().Add(2*time.Hour))
	token := f.serviceAccountToken(sa)
	// Shortening the account's life cuts the life of the tokens issued before.
	sa.ExpiresAt = f.clock.Now().Add(30 * time.Minute)
	if _, err := store.Put(t.Context(), f.st, testActor, sa, 0); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonAccountExpired,
		fmt.Sprintf("service account token: service account %s expired at %s", sa.ID, sa.ExpiresAt.UTC().Format(time.RFC3339)))
}

func TestIssueServiceAccountTokenRefusesAnExpiredAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", f.clock.Now().Add(time.Hour))
	f.clock.Advance(2 * time.Hour)
	_, err := f.auth.IssueServiceAccountToken(t.Context(), sa)
	if err == nil || !strings.Contains(err.Error(), "service account "+sa.ID+" expired at") {
		t.Errorf("IssueServiceAccountToken = %v, want an error saying the account expired", err)
	}
}

func TestServiceAccountAccessRecordedOncePerMinute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", time.Time{})
	token := f.serviceAccountToken(sa)
	first := f.clock.Now()
	for _, step := range []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, first},
		{30 * time.Second, first},                  // throttled
		{29 * time.Second, first},                  // still within the minute
		{time.Second, first.Add(time.Minute)},      // a minute after the last write
		{10 * time.Second, first.Add(time.Minute)}, // throttled again
		{2 * time.Minute, first.Add(3*time.Minute + 10*time.Second)},
	} {
		f.clock.Advance(step.advance)
		if _, err := f.authenticate(bearer(token)); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		access, err := f.st.ServiceAccountAccess(t.Context(), sa.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := access[sa.ID]; !got.Equal(step.want) {
			t.Errorf("at +%s: last access = %s, want %s", f.clock.Now().Sub(first), got, step.want)
		}
	}
}

func TestRecoveryToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token, err := f.auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatalf("IssueRecoveryToken: %v", err)
	}
	f.clock.Advance(59 * time.Minute)
	p, err := f.authenticate(header(auth.AuthorizationHeader, "Bearer "+token))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := &auth.Principal{
		Kind: auth.KindRecovery, Subject: "recovery:" + store.GlobalNamespaceID,
		RecoveryNamespaceID: store.GlobalNamespaceID, ExpiresAt: f.clock.Now().Add(time.Minute),
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
}

func TestRecoveryTokenPastItsTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token, err := f.auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired := f.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	f.clock.Advance(time.Hour + auth.Leeway + time.Second)
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonExpired, "recovery token: expired at "+expired+", 1m1s ago")
}

func TestRecoveryTokenOfADeletedNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns, err := store.Put(t.Context(), f.st, testActor, &store.Namespace{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Production"},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	token, err := f.auth.IssueRecoveryToken(t.Context(), ns.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(t.Context(), f.st, testActor, store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID}); err != nil {
		t.Fatal(err)
	}
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonRevoked, "recovery token: namespace "+ns.ID+" no longer exists")
}

func TestIssueRecoveryTokenErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name      string
		namespace string
		ttl       time.Duration
		want      string
	}{
		{"zero ttl", store.GlobalNamespaceID, 0, "recovery token ttl is 0s, want more than 0 and at most 24h0m0s"},
		{"negative ttl", store.GlobalNamespaceID, -time.Minute, "recovery token ttl is -1m0s, want more than 0"},
		{"ttl over a day", store.GlobalNamespaceID, 25 * time.Hour, "recovery token ttl is 25h0m0s, more than the maximum of 24h0m0s"},
		{"unknown namespace", "0b5e8f3a-7a54-4a53-9d1c-2b9c5f1e0d11", time.Hour, "issue recovery token: namespace 0b5e8f3a-7a54-4a53-9d1c-2b9c5f1e0d11"},
	} {
		_, err := f.auth.IssueRecoveryToken(t.Context(), tc.namespace, tc.ttl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: IssueRecoveryToken = %v, want an error containing %q", tc.name, err, tc.want)
		}
		if tc.name == "unknown namespace" && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: error %v is not store.ErrNotFound", tc.name, err)
		}
	}
}

func TestServiceAccountTokenOfAnotherConsole(t *testing.T) {
	t.Parallel()
	// The same account id in another console's store: the signature, not the
	// id, decides.
	f, other := newFixture(t), newFixture(t)
	token, err := other.auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.authenticate(bearer(token))
	wantRefused(t, p, err, auth.ReasonBadSignature, "recovery token: signature does not verify with the console's recovery key")
}

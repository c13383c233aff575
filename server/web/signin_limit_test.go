package web_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/testclock"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/status"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestSignInIsLimitedPerAddress spends an address's sign-in attempts with
// wrong tokens: its next attempt, with a good token, is refused with 429,
// Retry-After and the wait, another address signs in meanwhile, and the
// first one signs in once the wait is over. The clients come through a
// trusted proxy (the test's loopback), which names them in
// X-Forwarded-For.
func TestSignInIsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	limit := ratelimit.New(ratelimit.Options{Burst: 3, Every: 20 * time.Second, Now: clock.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	e := webtest.New(t, webtest.Postgres(t, srv), webtest.Options{Screens: []web.Screen{status.Register}, SigninLimit: limit})
	good, err := e.Auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	signin := func(from, token string) *webtest.Response {
		t.Helper()
		b := e.Anonymous()
		form := url.Values{"token": {token}, "csrf_token": {b.Get("/signin").CSRF()}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+"/signin", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from)
		return b.Do(req)
	}
	const attacker, other = "203.0.113.7", "198.51.100.9"
	for i := range 3 {
		if res := signin(attacker, "not-a-token"); res.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401: %s", i+1, res.Status, res.Text())
		}
	}
	res := signin(attacker, good)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "20" {
		t.Fatalf("attempt 4: status %d, Retry-After %q, want 429 and 20", res.Status, res.Header.Get("Retry-After"))
	}
	if !strings.Contains(res.Text(), "try again in 20 seconds") {
		t.Errorf("the refusal does not say when to try again: %s", res.Text())
	}
	if res := signin(other, good); res.Status != http.StatusSeeOther {
		t.Fatalf("another address: status %d, want 303: %s", res.Status, res.Text())
	}
	clock.Advance(20 * time.Second)
	if res := signin(attacker, good); res.Status != http.StatusSeeOther {
		t.Fatalf("after the wait: status %d, want 303: %s", res.Status, res.Text())
	}
	if res := signin(attacker, good); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the wait gave back one attempt, not more: status %d, want 429", res.Status)
	}
}

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
)

// viaPomerium makes every request of the browser carry Pomerium's
// assertion for the administrator in session sid, as Pomerium in front of
// the console does.
func (c *console) viaPomerium(t *testing.T, ctx context.Context, sid string) {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"aud": webtest.Audience, "sub": "user-" + webtest.Admin, "email": webtest.Admin, "sid": sid,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(c.pomerium)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "send the assertion", network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"X-Pomerium-Jwt-Assertion": tok}))
}

// TestImpersonation impersonates from the sessions screen behind
// Pomerium: the banner shows on every page until the administrator stops.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	c.seedSessions(t)
	ctx := chromium(t)
	c.viaPomerium(t, ctx, "s-admin")
	run(t, ctx, "impersonate bob",
		chromedp.Navigate(c.url+"/sessions"),
		chromedp.WaitVisible(`tr[data-id="s-bob-1"]`, chromedp.ByQuery),
		chromedp.Click(`tr[data-id="s-bob-1"] form[action="/sessions/s-bob-1/impersonate"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.impersonating`, chromedp.ByQuery),
	)
	if banner := text(t, ctx, ".impersonating p"); !strings.Contains(banner, "bob@example.com") {
		t.Fatalf("banner %q", banner)
	}
	for _, dark := range []bool{false, true} {
		run(t, ctx, "reload", theme(dark), chromedp.Navigate(c.url+"/sessions"), chromedp.WaitVisible(".impersonating", chromedp.ByQuery))
		checkAccessibility(t, ctx, "sessions-impersonating"+suffix(dark))
		screenshot(t, ctx, "sessions-impersonating"+suffix(dark))
	}
	run(t, ctx, "stop impersonating",
		chromedp.Click(`.impersonating button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
	)
	var banners int
	run(t, ctx, "count banners", chromedp.Evaluate(`document.querySelectorAll(".impersonating").length`, &banners))
	if banners != 0 {
		t.Fatal("the banner stays after stopping")
	}
}

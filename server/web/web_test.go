package web_test

import (
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/status"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

func newEnv(t *testing.T, extra ...web.Screen) *webtest.Env {
	t.Helper()
	return webtest.New(t, webtest.Postgres(t, srv), webtest.Options{Screens: append([]web.Screen{status.Register}, extra...)})
}

func TestSignInWithRecoveryToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.Anonymous()
	if res := b.Get("/status"); res.Status != http.StatusSeeOther || res.Location() != "/signin?next=%2Fstatus" {
		t.Fatalf("signed out GET /status: %d to %q, want 303 to the sign-in page", res.Status, res.Location())
	}
	page := b.Get("/signin?next=/status")
	if page.Status != http.StatusOK || page.Find(`input#token[type="password"]`).Length() != 1 || page.Find(`label[for="token"]`).Length() != 1 {
		t.Fatalf("sign-in page: %d\n%s", page.Status, page.Text())
	}
	tok, err := e.Auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	res := b.Post("/signin", url.Values{"token": {tok}, "next": {"/status"}, "csrf_token": {page.CSRF()}})
	if res.Status != http.StatusSeeOther || res.Location() != "/status" {
		t.Fatalf("sign in: %d to %q: %s", res.Status, res.Location(), res.Text())
	}
	cookie := sessionCookie(t, res)
	if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/", cookie)
	}
	if got := b.Follow(res); got.Status != http.StatusOK || !strings.Contains(got.Find(".who").Text(), "recovery:") {
		t.Fatalf("after sign-in: %d\n%s", got.Status, got.Text())
	}
	// Signing out ends the session.
	out := b.Post("/signout", url.Values{})
	if out.Status != http.StatusSeeOther || out.Location() != "/signin" {
		t.Fatalf("sign out: %d to %q", out.Status, out.Location())
	}
	if res := b.Get("/status"); res.Status != http.StatusSeeOther {
		t.Fatalf("after sign-out GET /status: %d, want a redirect to sign in", res.Status)
	}
}

func sessionCookie(t *testing.T, res *webtest.Response) *http.Cookie {
	t.Helper()
	for _, line := range res.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == "__Host-console_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", res.Header.Values("Set-Cookie"))
	return nil
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sa, err := store.Put(t.Context(), e.Store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "robot"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	saToken, err := e.Auth.IssueServiceAccountToken(t.Context(), sa)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"empty token", url.Values{"token": {" "}}, http.StatusBadRequest, "token: paste the recovery token"},
		{"garbage", url.Values{"token": {"not-a-jwt"}}, http.StatusUnauthorized, "token: "},
		{"service account token", url.Values{"token": {saToken}}, http.StatusUnauthorized, "sign in to the web console with a recovery token"},
		{"no CSRF token", url.Values{"token": {saToken}, "csrf_token": {""}}, http.StatusForbidden, "The form expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.Anonymous()
			page := b.Get("/signin")
			form := tc.form
			if _, ok := form["csrf_token"]; !ok {
				form.Set("csrf_token", page.CSRF())
			}
			res := b.Post("/signin", form)
			if res.Status != tc.status || !strings.Contains(res.Find("#page-error").Text(), tc.want) {
				t.Fatalf("status %d, error %q; want %d and %q", res.Status, res.Find("#page-error").Text(), tc.status, tc.want)
			}
			for _, line := range res.Header.Values("Set-Cookie") {
				if strings.HasPrefix(line, "__Host-console_session=") {
					t.Fatalf("refused sign-in set a session: %s", line)
				}
			}
		})
	}
}

func TestSignInRedirectStaysOnTheConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.Auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
		"/\t/evil.example", "/\t\\evil.example", "/\n/evil.example", "/%2F/evil.example", "///evil.example"} {
		b := e.Anonymous()
		page := b.Get("/signin")
		res := b.Post("/signin", url.Values{"token": {tok}, "next": {next}, "csrf_token": {page.CSRF()}})
		if res.Status != http.StatusSeeOther || res.Location() != "/" {
			t.Errorf("next %q: %d to %q, want 303 to /", next, res.Status, res.Location())
		}
	}
}

func TestStateChangesNeedTheSessionsCSRFToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.Recovery(""), e.Recovery("")
	bobToken := bob.Get("/status").CSRF()
	for name, form := range map[string]url.Values{
		"missing":           {"csrf_token": {""}},
		"another session's": {"csrf_token": {bobToken}},
		"made up":           {"csrf_token": {"AAAA"}},
	} {
		if res := alice.Post("/signout", form); res.Status != http.StatusForbidden {
			t.Errorf("%s token: status %d, want 403", name, res.Status)
		}
	}
	// Still signed in: nothing happened.
	if res := alice.Get("/status"); res.Status != http.StatusOK {
		t.Fatalf("after refused posts: %d", res.Status)
	}
	// The same token in the htmx header is accepted.
	if res := alice.HTMX(http.MethodPost, "/signout", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("htmx sign-out with the header token: %d", res.Status)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.Recovery("")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+"/signout", strings.NewReader("csrf_token="+b.Get("/status").CSRF()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res := b.Do(req)
	if res.Status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", res.Status)
	}
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/signin", "/status", "/no-such-page"} {
		res := e.Recovery("").Get(path)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows unsafe sources: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	if res := e.Recovery("").Get("/no-such-page"); res.Status != http.StatusNotFound || res.Find("h1").Text() != "Not Found" {
		t.Fatalf("unknown page: %d %q", res.Status, res.Find("h1").Text())
	}
}

func TestScriptsAreSelfHostedWithIntegrity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.Recovery("")
	page := b.Get("/status")
	scripts := page.Find("script")
	var srcs []string
	scripts.Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		integrity, _ := s.Attr("integrity")
		srcs = append(srcs, src)
		if !strings.HasPrefix(src, "/static/") {
			t.Errorf("script %q is not served by the console", src)
		}
		body := b.Get(src)
		sum := sha512.Sum384(body.Body)
		if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); integrity != want {
			t.Errorf("script %s: integrity %q, want %q", src, integrity, want)
		}
		if ct := body.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("script %s: content type %q", src, ct)
		}
	})
	if strings.Join(srcs, " ") != "/static/vendor/htmx.min.js /static/console.js" {
		t.Fatalf("scripts %v, want htmx then console.js (run `make assets` to embed htmx)", srcs)
	}
	if page.Find("script:not([src])").Length() != 0 || strings.Contains(page.Text(), " style=") {
		t.Fatal("a page carries inline script or style, which the CSP refuses")
	}
	css := b.Get("/static/console.css")
	if css.Status != http.StatusOK || css.Header.Get("ETag") == "" {
		t.Fatalf("stylesheet: %d, ETag %q", css.Status, css.Header.Get("ETag"))
	}
}

func TestPanicBecomesInternalError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(mux *http.ServeMux, _ ui.Deps) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	})
	res := e.Recovery("").Get("/boom")
	if res.Status != http.StatusInternalServerError || strings.Contains(res.Text(), "secret detail") {
		t.Fatalf("panic: %d %q", res.Status, res.Text())
	}
	// The console still answers.
	if res := e.Recovery("").Get("/status"); res.Status != http.StatusOK {
		t.Fatalf("after a panic: %d", res.Status)
	}
}

func TestHTMXRequestOfASignedOutBrowserRedirectsToSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Anonymous().HTMX(http.MethodGet, "/status", nil)
	if res.Status != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/signin") {
		t.Fatalf("htmx request signed out: %d, HX-Redirect %q", res.Status, res.Header.Get("HX-Redirect"))
	}
}

func TestUserThroughPomeriumNeedsNoSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.User(webtest.Admin).Get("/status")
	if res.Status != http.StatusOK || !strings.Contains(res.Find(".who").Text(), webtest.Admin) {
		t.Fatalf("admin through Pomerium: %d\n%s", res.Status, res.Find("header").Text())
	}
	if res.Find(`form[action="/signout"]`).Length() != 0 {
		t.Error("a user signed in by Pomerium is offered to sign out of the console")
	}
}

// TestTooLargeFormsAreToldSo: a form over the limit is refused as too
// large, urlencoded or multipart, not as a missing CSRF token.
func TestTooLargeFormsAreToldSo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.Recovery("")
	big := strings.Repeat("x", 5<<20)
	for name, res := range map[string]*webtest.Response{
		"urlencoded": b.Post("/signout", url.Values{"filler": {big}}),
		"multipart":  b.PostMultipart("/signout", url.Values{}, map[string]string{"file": big}),
	} {
		if res.Status != http.StatusRequestEntityTooLarge || !strings.Contains(res.Text(), "larger than the 4 MiB") {
			t.Errorf("%s: %d %q, want 413 saying the limit", name, res.Status, res.Text())
		}
	}
	if res := b.Get("/status"); res.Status != http.StatusOK {
		t.Fatalf("still signed in? %d", res.Status)
	}
}

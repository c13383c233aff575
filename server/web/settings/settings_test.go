package settings_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestAdminEditsOneSection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.stored()
	b := f.e.Recovery("")

	page := b.Get("/settings?section=timeouts")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if v, _ := page.Find("#s-timeout_read").Attr("value"); v != "30s" {
		t.Errorf("read timeout shown as %q", v)
	}
	form := formOf(t, page)
	form.Set("timeout_read", "45s")
	form.Set("dns_use_tcp", "true")
	res := b.Post("/settings", form)
	if res.Status != http.StatusSeeOther || res.Location() != "/settings?section=timeouts" {
		t.Fatalf("save: status %d, location %q: %s", res.Status, res.Location(), res.Text())
	}
	if got := b.Follow(res).Find(".notice").Text(); !strings.Contains(got, "saved") {
		t.Errorf("notice after saving %q", got)
	}

	after := f.stored().Spec
	if after.GetTimeoutRead().AsDuration() != 45*time.Second || !after.GetDnsUseTcp() {
		t.Errorf("the change was not saved: %v", after)
	}
	// Other sections and the secrets are as they were.
	if after.GetLogLevel() != "debug" || after.GetSharedSecret() != sharedSecret || after.GetCookieSecret() != cookieSecret ||
		after.GetIdpClientSecret() != clientSecret || after.GetAuthenticateServiceUrl() != before.Spec.GetAuthenticateServiceUrl() ||
		after.GetCookieName() != "_pomerium" {
		t.Errorf("saving one section changed others: %v", after)
	}
	log, err := f.st.Activity(t.Context(), store.ActivityQuery{EntityType: store.KindSettings, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e := log.Entries[0]; e.Origin != store.OriginUI || !strings.Contains(e.Diff, "45s") {
		t.Errorf("activity of the save: origin %s, diff %q", e.Origin, e.Diff)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.Recovery("")
	f.e.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, "viewer@example.com")
	viewer := f.e.User("viewer@example.com")
	for _, sec := range []string{"general", "proxy", "authentication", "cookies", "timeouts", "headers", "tls", "logging", "telemetry", "branding", "ssh", "advanced"} {
		for _, page := range []*webtest.Response{admin.Get("/settings?section=" + sec), viewer.Get("/settings?section=" + sec)} {
			if page.Status != http.StatusOK {
				t.Fatalf("%s: status %d", sec, page.Status)
			}
			for _, s := range []string{sharedSecret, cookieSecret, clientSecret} {
				if strings.Contains(page.Text(), s) {
					t.Errorf("section %s shows a secret", sec)
				}
			}
		}
	}

	// A blank secret keeps it; a typed one replaces it; the clear box removes it.
	page := admin.Get("/settings?section=cookies")
	if page.Find(`#s-cookie_secret-hint .badge`).Text() != "set" {
		t.Errorf("the cookie secret is not said to be set")
	}
	form := formOf(t, page)
	form.Set("cookie_name", "_session")
	if res := admin.Post("/settings", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.Status, res.Text())
	}
	if s := f.stored().Spec; s.GetCookieSecret() != cookieSecret || s.GetCookieName() != "_session" {
		t.Errorf("blank secret: %v", s)
	}
	form = formOf(t, admin.Get("/settings?section=cookies"))
	form.Set("cookie_secret", "bmV3LXNlY3JldA==")
	if res := admin.Post("/settings", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.Status, res.Text())
	}
	if got := f.stored().Spec.GetCookieSecret(); got != "bmV3LXNlY3JldA==" {
		t.Errorf("typed secret: stored %q", got)
	}
	form = formOf(t, admin.Get("/settings?section=cookies"))
	form.Set("clear_cookie_secret", "1")
	if res := admin.Post("/settings", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.Status, res.Text())
	}
	if s := f.stored().Spec; s.CookieSecret != nil || s.GetSharedSecret() != sharedSecret {
		t.Errorf("cleared secret: %v", s)
	}
}

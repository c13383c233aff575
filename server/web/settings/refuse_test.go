package settings_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/settings"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestInvalidInputIsRefusedNextToTheField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.stored()
	b := f.e.Recovery("")
	for _, tc := range []struct {
		section, field, value, want string
	}{
		{"timeouts", "timeout_read", "forty seconds", "not a duration"},
		{"timeouts", "dns_query_tries", "-3", "whole number"},
		{"general", "authenticate_service_url", "authenticate.example.com", "not an absolute URL"},
		{"authentication", "request_params", "prompt", "name: value"},
		{"authentication", "directory_provider_options", "[1, 2]", "JSON object"},
	} {
		form := formOf(t, b.Get("/settings?section="+tc.section))
		form.Set(tc.field, tc.value)
		res := b.Post("/settings", form)
		if res.Status != http.StatusBadRequest {
			t.Errorf("%s=%q: status %d, want 400: %s", tc.field, tc.value, res.Status, res.Find("main").Text())
			continue
		}
		id := "#s-" + strings.ReplaceAll(tc.field, ".", "-")
		if got := res.Find(id + "-error").Text(); got == "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s=%q: error next to the field %q, want %q; page error %q", tc.field, tc.value, got, tc.want, res.Find("#page-error").Text())
		}
		if v, _ := res.Find(id).Attr("value"); res.Find(id).Is("input") && v != tc.value {
			t.Errorf("%s: the value sent is not kept: %q", tc.field, v)
		}
		// A secret is never shown again, even as sent.
		if res.Find(id).Is("textarea") && res.Find(id).Text() != tc.value && tc.field != "directory_provider_options" {
			t.Errorf("%s: the value sent is not kept: %q", tc.field, res.Find(id).Text())
		}
	}

	// What only the service finds is shown too: here, for the whole form.
	form := formOf(t, b.Get("/settings?section=branding"))
	form.Set("error_message_first_paragraph", strings.Repeat("x", store.MaxObjectSize+1))
	res := b.Post("/settings", form)
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Find("#page-error").Text(), "bytes") {
		t.Errorf("too large: status %d, page error %q", res.Status, res.Find("#page-error").Text())
	}

	if after := f.stored(); after.Version != before.Version {
		t.Errorf("refused saves changed the settings: version %d, was %d", after.Version, before.Version)
	}
}

func TestStaleSaveIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	form := formOf(t, b.Get("/settings?section=logging"))
	// Someone else saves another section meanwhile.
	other := formOf(t, b.Get("/settings?section=cookies"))
	other.Set("cookie_name", "_theirs")
	if res := b.Post("/settings", other); res.Status != http.StatusSeeOther {
		t.Fatalf("other save: status %d", res.Status)
	}
	form.Set("log_level", "warn")
	res := b.Post("/settings", form)
	if res.Status != http.StatusConflict {
		t.Fatalf("stale save: status %d, want 409: %s", res.Status, res.Find("main").Text())
	}
	if !strings.Contains(res.Find("#page-error").Text(), "changed by someone else") {
		t.Errorf("page error %q", res.Find("#page-error").Text())
	}
	if v := res.Find("#s-log_level option[selected]").AttrOr("value", ""); v != "warn" {
		t.Errorf("the value sent is lost: %q", v)
	}
	if s := f.stored().Spec; s.GetLogLevel() != "debug" || s.GetCookieName() != "_theirs" {
		t.Errorf("after the stale save: %v", s)
	}
}

// Before the first save the settings are at version 0, which the use cases
// take for no version in particular: a form loaded then once overwrote a
// save made meanwhile.
func TestStaleSaveOfNeverSavedSettingsIsRefused(t *testing.T) {
	t.Parallel()
	st := webtest.Embedded(t)
	e := webtest.New(t, st, webtest.Options{Screens: []web.Screen{settings.Register}})
	b := e.Recovery("")
	form := formOf(t, b.Get("/settings?section=logging"))
	if v := form.Get("expected_version"); v != "0" {
		t.Fatalf("the form of settings never saved expects version %q, want 0", v)
	}
	if _, err := store.Put(t.Context(), st, store.Actor{Subject: "other", Origin: store.OriginAPI}, &store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID}, Spec: &configpb.Settings{CookieName: new("_theirs")},
	}, 0); err != nil {
		t.Fatal(err)
	}
	form.Set("log_level", "warn")
	if res := b.Post("/settings", form); res.Status != http.StatusConflict {
		t.Fatalf("stale save: status %d, want 409: %s", res.Status, res.Find("main").Text())
	}
	s, err := store.Get[*store.Settings](t.Context(), st, store.SettingsID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Spec.GetCookieName() != "_theirs" || s.Spec.LogLevel != nil {
		t.Errorf("after the stale save: %v", s.Spec)
	}
}

func TestOnlyGlobalAdminsEdit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team, err := store.Put(t.Context(), f.st, store.Actor{Subject: "seed", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.e.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, "viewer@example.com")
	f.e.Grant(store.RoleManager, store.GlobalNamespaceID, store.SubjectUser, "manager@example.com")
	f.e.Grant(store.RoleAdmin, team.ID, store.SubjectUser, "teamadmin@example.com")
	admin := f.e.Recovery("")
	valid := formOf(t, admin.Get("/settings?section=logging"))
	valid.Set("log_level", "error")
	before := f.stored()

	for _, who := range []string{"viewer@example.com", "manager@example.com"} {
		b := f.e.User(who)
		page := b.Get("/settings?section=logging")
		if page.Status != http.StatusOK {
			t.Fatalf("%s: status %d", who, page.Status)
		}
		if page.Find(`form[action^="/settings"]`).Length() != 0 || page.Find("button").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.HasPrefix(s.Text(), "Save")
		}).Length() != 0 {
			t.Errorf("%s is shown the form", who)
		}
		if got := page.Find("dl.details").Text(); !strings.Contains(got, "debug") {
			t.Errorf("%s does not see the log level: %q", who, got)
		}
		if got := b.Get("/settings?section=cookies").Find("dl.details").Text(); !strings.Contains(got, "hidden") {
			t.Errorf("%s is not told the cookie secret is hidden: %q", who, got)
		}
		if res := b.Post("/settings", valid); res.Status != http.StatusForbidden {
			t.Errorf("%s saves: status %d, want 403", who, res.Status)
		}
		bad := url.Values{"section": {"timeouts"}, "expected_version": {"1"}, "timeout_read": {"nope"}}
		if res := b.Post("/settings", bad); res.Status != http.StatusForbidden {
			t.Errorf("%s saves invalid values: status %d, want 403", who, res.Status)
		}
	}
	for _, who := range []string{"teamadmin@example.com", "nobody@example.com"} {
		b := f.e.User(who)
		if got := b.Get("/settings").Status; got != http.StatusForbidden {
			t.Errorf("%s reads the settings: status %d, want 403", who, got)
		}
		if res := b.Post("/settings", valid); res.Status != http.StatusForbidden {
			t.Errorf("%s saves: status %d, want 403", who, res.Status)
		}
	}
	if after := f.stored(); after.Version != before.Version {
		t.Errorf("refused saves changed the settings")
	}
}

func TestSaveNeedsCSRFToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	form := formOf(t, b.Get("/settings?section=logging"))
	form.Set("log_level", "error")
	for _, token := range []string{"", "forged"} {
		form.Set("csrf_token", token)
		if res := b.Post("/settings", form); res.Status != http.StatusForbidden {
			t.Errorf("token %q: status %d, want 403", token, res.Status)
		}
	}
	if got := f.stored().Spec.GetLogLevel(); got != "debug" {
		t.Errorf("a save without a valid token changed the log level to %q", got)
	}
}

func TestUnknownSection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if got := f.e.Recovery("").Get("/settings?section=nope").Status; got != http.StatusNotFound {
		t.Errorf("status %d, want 404", got)
	}
}

package routeedit_test

import (
	"net/http"
	"strings"
	"testing"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
)

// typedSecret is a new secret a manager types into a form that is then
// refused.
const typedSecret = "typed-n3w-secret"

// wantNoSecretEcho fails the test when a refused page carries the typed
// secret (or a stored one) anywhere in its source, or lacks the note that
// asks to type it again next to field.
func wantNoSecretEcho(t *testing.T, res *webtest.Response, field string) {
	t.Helper()
	for _, s := range []string{typedSecret, "s3cret", "k8s-token"} {
		if strings.Contains(res.Source(), s) {
			t.Errorf("%s: the refused page's source carries the secret %q", field, s)
		}
	}
	if got := res.Find("#r-" + field).Text(); !strings.Contains(got, "Re-enter the secret: it is not sent back to the browser") {
		t.Errorf("%s: no note asks to type the secret again; next to the field: %q", field, got)
	}
	if d := res.Find("#f-"+field).AttrOr("aria-describedby", ""); !strings.Contains(d, "r-"+field) {
		t.Errorf("%s: the field is not described by the note: aria-describedby=%q", field, d)
	}
}

// TestRefusedSaveDoesNotEchoSecrets types a new secret into a tab whose
// save is then refused, for another field or a stale version: the page
// does not send the secret back, asks to type it again, and the stored
// secret stays.
func TestRefusedSaveDoesNotEchoSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	for _, tc := range []struct {
		name, tab, field string
		invalid          map[string]string
		stale            bool
		status           int
	}{
		{"general invalid", "general", "idp_client_secret", map[string]string{"name": ""}, false, http.StatusBadRequest},
		{"general stale", "general", "idp_client_secret", nil, true, http.StatusConflict},
		{"headers invalid", "headers", "kubernetes_service_account_token", map[string]string{"set_request_headers": "no colon"}, false, http.StatusBadRequest},
	} {
		in := fullRoute(f)
		in.Name = "app " + tc.name
		r := f.setRoute(in)
		form := editForm(t, b, r.GetId(), tc.tab)
		form.Set(tc.field, typedSecret)
		set(form, tc.invalid)
		if tc.stale {
			r.Description = new("changed meanwhile")
			r = f.setRoute(r)
		}
		res := b.Post("/routes/"+r.GetId(), form)
		if res.Status != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, res.Status, tc.status, res.Find("main").Text())
		}
		wantNoSecretEcho(t, res, tc.field)
		got := f.route(r.GetId())
		if got.GetIdpClientSecret() != "s3cret" || got.GetKubernetesServiceAccountToken() != "k8s-token" {
			t.Errorf("%s: the stored secrets changed: %q, %q", tc.name, got.GetIdpClientSecret(), got.GetKubernetesServiceAccountToken())
		}
	}
}

// TestRefusedSaveUnticksSecretRemoval: a refused save does not keep a
// ticked removal of a secret (after a stale save the stored secret may be
// one the viewer has not seen), and says so next to the field.
func TestRefusedSaveUnticksSecretRemoval(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(fullRoute(f))
	form := editForm(t, b, r.GetId(), "headers")
	set(form, map[string]string{"kubernetes_service_account_token_clear": "on", "set_request_headers": "no colon"})
	res := b.Post("/routes/"+r.GetId(), form)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", res.Status, res.Find("main").Text())
	}
	if res.Find("#f-kubernetes_service_account_token_clear[checked]").Length() != 0 {
		t.Error("the refused page keeps the removal ticked")
	}
	if got := res.Find("#r-kubernetes_service_account_token").Text(); !strings.Contains(got, "again to remove it") {
		t.Errorf("no note says to tick the removal again: %q", got)
	}
	if got := f.route(r.GetId()).GetKubernetesServiceAccountToken(); got != "k8s-token" {
		t.Errorf("the stored token is %q after a refused save", got)
	}
}

// TestRefusedCreateDoesNotEchoSecrets types a secret into the new-route
// form whose create is then refused.
func TestRefusedCreateDoesNotEchoSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	form := formOf(t, b.Get("/routes/new?namespace="+f.ns), `form[action="/routes/new"]`)
	set(form, map[string]string{"name": "", "from": "https://app.example.com", "to": "http://app.internal", "idp_client_secret": typedSecret})
	res := b.Post("/routes/new", form)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", res.Status, res.Find("main").Text())
	}
	wantNoSecretEcho(t, res, "idp_client_secret")
}

// TestViewerIsNotToldSecretUnset: the service leaves a route's secrets
// out for a viewer, which must not read as "no value is set".
func TestViewerIsNotToldSecretUnset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.setRoute(fullRoute(f))
	viewer := f.env.User(viewerEmail)
	for tab, field := range map[string]string{"general": "idp_client_secret", "headers": "kubernetes_service_account_token"} {
		page := viewer.Get("/routes/" + r.GetId() + "?tab=" + tab)
		if page.Status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tab, page.Status, page.Text())
		}
		note := page.Find("#s-" + field).Text()
		if strings.Contains(note, "No value is set") || !strings.Contains(note, "Hidden") {
			t.Errorf("%s: a viewer is told %q about a set secret, want it hidden", tab, note)
		}
	}
	// A manager is still told the truth.
	page := f.env.User(managerEmail).Get("/routes/" + r.GetId() + "?tab=general")
	if note := page.Find("#s-idp_client_secret").Text(); !strings.Contains(note, "A value is set") {
		t.Errorf("a manager is told %q about a set secret", note)
	}
	empty := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "plain", From: "https://plain.example.com", To: []string{"http://plain.internal"}})
	page = f.env.User(managerEmail).Get("/routes/" + empty.GetId() + "?tab=general")
	if note := page.Find("#s-idp_client_secret").Text(); !strings.Contains(note, "No value is set") {
		t.Errorf("a manager is told %q about an unset secret", note)
	}
}

package policies_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestEnforcingNeedsAdmin(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	e.Grant(store.RoleManager, global, store.SubjectUser, "m@example.com")
	m := e.User("m@example.com")

	form := m.Get("/policies/new")
	box := form.Find("#enforced")
	if _, disabled := box.Attr("disabled"); !disabled || !strings.Contains(form.Find("#enforced-hint").Text(), "Only an admin") {
		t.Errorf("a manager's enforced checkbox: disabled=%v hint %q", disabled, form.Find("#enforced-hint").Text())
	}

	// A hand-made post is refused by the service, with the reason shown.
	in := editorForm("everyone", global, goodPPL)
	in.Set("enforced", "on")
	res := m.Post("/policies/new", in)
	if res.Status != http.StatusForbidden {
		t.Fatalf("manager enforcing: status %d, want 403", res.Status)
	}
	if !strings.Contains(res.Find("#page-error").Text(), "needs admin") || res.Find("#enforced-error").Text() == "" {
		t.Errorf("refusal not explained: page %q, field %q", res.Find("#page-error").Text(), res.Find("#enforced-error").Text())
	}
	if res.Find("textarea#ppl").Text() != goodPPL {
		t.Errorf("the refused editor lost the PPL")
	}
	if got := policiesNamed(t, st, global, "everyone"); len(got) != 0 {
		t.Errorf("a manager created an enforced policy: %+v", got)
	}

	// A manager may not change an enforced policy: the page is read-only.
	enforced := policy(t, st, global, "enforced-one", true)
	page := m.Get("/policies/" + enforced.ID)
	if page.Find("form textarea").Length() != 0 || !strings.Contains(page.Find("#read-only").Text(), "admin") {
		t.Errorf("a manager gets an editor for an enforced policy")
	}
	change := editorForm("enforced-one", global, goodPPL)
	change.Set("enforced", "on")
	change.Set("description", "changed")
	change.Set("version", strconv.FormatInt(enforced.Version, 10))
	if res := m.Post("/policies/"+enforced.ID, change); res.Status != http.StatusForbidden {
		t.Errorf("manager changing an enforced policy: status %d", res.Status)
	}
	if got := getPolicy(t, st, enforced.ID); got.Description != "about enforced-one" {
		t.Errorf("a manager changed an enforced policy: %+v", got)
	}

	// An admin may.
	admin := e.User(webtest.Admin)
	if _, disabled := admin.Get("/policies/new").Find("#enforced").Attr("disabled"); disabled {
		t.Errorf("an admin's enforced checkbox is disabled")
	}
	if res := admin.Post("/policies/new", in); res.Status != http.StatusSeeOther {
		t.Fatalf("admin enforcing: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := policiesNamed(t, st, global, "everyone"); len(got) != 1 || !got[0].Enforced {
		t.Errorf("admin's enforced policy stored as %+v", got)
	}
}

func TestStaleEditIsRefusedAndKeepsInput(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	p := policy(t, st, global, "shared", false)
	b := e.User(webtest.Admin)
	opened := b.Get("/policies/" + p.ID)
	version := opened.Find(`input[name="version"]`).AttrOr("value", "")
	if version != strconv.FormatInt(p.Version, 10) {
		t.Fatalf("editor carries version %q, want %d", version, p.Version)
	}

	// Someone else changes it meanwhile.
	other := getPolicy(t, st, p.ID)
	other.Description = "their change"
	put(t, st, other)

	mine := editorForm("shared", global, strings.Replace(goodPPL, "user@", "mine@", 1))
	mine.Set("version", version)
	res := b.Post("/policies/"+p.ID, mine)
	if res.Status != http.StatusConflict {
		t.Fatalf("stale save: status %d, want 409", res.Status)
	}
	if msg := res.Find("#page-error").Text(); !strings.Contains(msg, "changed this policy after you opened it") {
		t.Errorf("stale save explained as %q", msg)
	}
	if !strings.Contains(res.Find("textarea#ppl").Text(), "mine@") || res.Find(`input[name="version"]`).AttrOr("value", "") != version {
		t.Errorf("the refused editor lost the input")
	}
	if got := getPolicy(t, st, p.ID); got.Description != "their change" || strings.Contains(got.PPL, "mine@") {
		t.Errorf("the stale save overwrote the other change: %+v", got)
	}

	// A post without the version it edits does not overwrite either.
	mine.Del("version")
	if res := b.Post("/policies/"+p.ID, mine); res.Status != http.StatusBadRequest {
		t.Errorf("save without a version: status %d, want 400", res.Status)
	}
	if got := getPolicy(t, st, p.ID); strings.Contains(got.PPL, "mine@") {
		t.Errorf("a save without a version was stored")
	}
}

func TestViewerSeesNoFormsAndIsRefused(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	p := policy(t, st, global, "watched", false)
	e.Grant(store.RoleViewer, global, store.SubjectUser, "v@example.com")
	v := e.User("v@example.com")

	page := v.Get("/policies/" + p.ID)
	if page.Status != http.StatusOK {
		t.Fatalf("status %d", page.Status)
	}
	if n := page.Find(`form[method="post"]`).Length(); n != 0 {
		t.Errorf("a viewer sees %d forms", n)
	}
	if !strings.Contains(page.Find("pre").Text(), "user@example.com") {
		t.Errorf("a viewer does not see the PPL")
	}

	change := editorForm("watched", global, goodPPL)
	change.Set("description", "changed")
	change.Set("version", strconv.FormatInt(p.Version, 10))
	for path, form := range map[string]url.Values{
		"/policies/" + p.ID:             change,
		"/policies/" + p.ID + "/delete": {},
		"/policies/new":                 editorForm("viewer-made", global, goodPPL),
	} {
		if res := v.Post(path, form); res.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: status %d, want 403", path, res.Status)
		}
	}
	if got := getPolicy(t, st, p.ID); got.Description != "about watched" || got.Version != p.Version {
		t.Errorf("a viewer changed the policy: %+v", got)
	}
	if len(policiesNamed(t, st, global, "viewer-made")) != 0 {
		t.Errorf("a viewer created a policy")
	}
	if res := v.Get("/policies/new"); res.Status != http.StatusForbidden || res.Find("form textarea").Length() != 0 {
		t.Errorf("a viewer's new-policy page: status %d", res.Status)
	}
}

func TestWritesNeedTheCSRFToken(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	p := policy(t, st, global, "guarded", false)
	b := e.User(webtest.Admin)
	b.Get("/policies")

	create := editorForm("forged", global, goodPPL)
	change := editorForm("guarded", global, goodPPL)
	change.Set("description", "forged")
	change.Set("version", strconv.FormatInt(p.Version, 10))
	for _, token := range []string{"", "not-the-token"} {
		for path, form := range map[string]url.Values{
			"/policies/new":                 create,
			"/policies/" + p.ID:             change,
			"/policies/" + p.ID + "/delete": {},
			"/policies/validate":            {"ppl": {goodPPL}},
		} {
			form.Set("csrf_token", token)
			if res := b.Post(path, form); res.Status != http.StatusForbidden {
				t.Errorf("POST %s with token %q: status %d, want 403", path, token, res.Status)
			}
		}
	}
	if len(policiesNamed(t, st, global, "forged")) != 0 {
		t.Errorf("a forged post created a policy")
	}
	if got := getPolicy(t, st, p.ID); got.Description != "about guarded" || got.Version != p.Version {
		t.Errorf("a forged post changed the policy: %+v", got)
	}
}

func TestKubernetesPoliciesAreReadOnly(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	p, err := store.Put(t.Context(), st, store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes},
		&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "from-k8s", OriginRef: "default/allow-staff"}, PPL: goodPPL}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := e.User(webtest.Admin)
	page := b.Get("/policies/" + p.ID)
	if page.Find("form textarea").Length() != 0 || !strings.Contains(page.Find("#read-only").Text(), "default/allow-staff") {
		t.Errorf("a Kubernetes policy is editable or does not name its object: %s", page.Find("main").Text())
	}
	if !strings.Contains(page.Find("dl.details").Text(), "default/allow-staff") {
		t.Errorf("the origin badge lacks the object name")
	}
	change := editorForm("from-k8s", global, goodPPL)
	change.Set("description", "changed")
	change.Set("version", strconv.FormatInt(p.Version, 10))
	if res := b.Post("/policies/"+p.ID, change); res.Status != http.StatusForbidden {
		t.Errorf("change of a Kubernetes policy: status %d", res.Status)
	}
	if got := getPolicy(t, st, p.ID); got.Description != "" || got.Version != p.Version {
		t.Errorf("a Kubernetes policy changed: %+v", got)
	}
}

package namespaces_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestCreateChildThroughTheForm(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	b := admin(e)
	page := b.Get("/namespaces/" + team)
	if !hasForm(page, "/namespaces/"+team+"/children") {
		t.Fatalf("no create form for an admin:\n%s", page.Text())
	}
	res := b.Post("/namespaces/"+team+"/children", form("name", "api"))
	wantRedirect(t, res, "/namespaces/"+team)
	page = b.Follow(res)
	if got := page.Find("p.notice").Text(); !strings.Contains(got, `"api"`) {
		t.Errorf("notice %q", got)
	}
	if !strings.Contains(page.Find("ul.children").Text(), "api") {
		t.Errorf("the new child is not listed")
	}
	if got := children(t, e.Store, team); !slices.Equal(got, []string{"api"}) {
		t.Fatalf("children of team in the store: %v", got)
	}
	res2, err := e.Store.List(t.Context(), store.KindNamespace, store.ListQuery{NamespaceID: team})
	if err != nil {
		t.Fatal(err)
	}
	if o := res2.Objects[0].GetObjectMeta().Origin; o != store.OriginUI {
		t.Errorf("origin %q, want ui: the change went around the service", o)
	}
}

func TestCreateRefusesAnInvalidNameNextToTheField(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	mkns(t, e.Store, team, "taken")
	b := admin(e)
	for _, c := range []struct {
		name, reason string
		status       int
	}{
		{"", "is required", http.StatusBadRequest},
		{" padded ", "must not start or end with white space", http.StatusBadRequest},
		{"taken", "already exists", http.StatusConflict},
	} {
		res := b.Post("/namespaces/"+team+"/children", form("name", c.name))
		wantStatus(t, res, c.status)
		if got := res.Find("#create-name-error").Text(); !strings.Contains(got, c.reason) {
			t.Errorf("name %q: error next to the field %q, want %q", c.name, got, c.reason)
		}
		if v, _ := res.Find("#create-name").Attr("value"); v != c.name {
			t.Errorf("name %q: the field holds %q after the refusal", c.name, v)
		}
		if inv, _ := res.Find("#create-name").Attr("aria-invalid"); inv != "true" {
			t.Errorf("name %q: the field is not marked invalid", c.name)
		}
	}
	if got := children(t, e.Store, team); !slices.Equal(got, []string{"taken"}) {
		t.Fatalf("children after refusals: %v", got)
	}
}

// expectedVersion is the expected_version the form to action carries.
func expectedVersion(t *testing.T, page *webtest.Response, action string) string {
	t.Helper()
	v, ok := page.Find(`form[action="` + action + `"] input[name="expected_version"]`).Attr("value")
	if !ok || v == "" {
		t.Fatalf("no expected_version in the form to %s:\n%s", action, page.Text())
	}
	return v
}

func TestRenameThroughTheForm(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	b := admin(e)
	page := b.Get("/namespaces/" + team)
	action := "/namespaces/" + team + "/rename"
	if v, _ := page.Find(`form[action="` + action + `"] input[name="name"]`).Attr("value"); v != "team" {
		t.Errorf("rename field holds %q, want the current name", v)
	}
	res := b.Post(action, form("name", "squad", "expected_version", expectedVersion(t, page, action)))
	wantRedirect(t, res, "/namespaces/"+team)
	ns := getns(t, e.Store, team)
	if ns.Name != "squad" || ns.NamespaceID != global {
		t.Fatalf("after rename: name %q parent %q", ns.Name, ns.NamespaceID)
	}
	if got := b.Follow(res).Find("main h1").Text(); got != "Global / squad" {
		t.Errorf("title after rename %q", got)
	}
}

func TestStaleRenameIsRefusedAndKeepsTheOtherChange(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	b := admin(e)
	page := b.Get("/namespaces/" + team)
	action := "/namespaces/" + team + "/rename"
	seen := expectedVersion(t, page, action)
	// Someone else renames the namespace after the page was loaded.
	cur := getns(t, e.Store, team)
	cur.Name = "theirs"
	if _, err := store.Put(t.Context(), e.Store, setupActor, cur, cur.Version); err != nil {
		t.Fatal(err)
	}

	res := b.Post(action, form("name", "mine", "expected_version", seen))
	wantStatus(t, res, http.StatusConflict)
	if got := res.Find(`form[action="` + action + `"] .error`).Text(); !strings.Contains(got, "someone changed this") {
		t.Errorf("stale refusal says %q", got)
	}
	if v, _ := res.Find("#rename-name").Attr("value"); v != "mine" {
		t.Errorf("rename field holds %q after the refusal, want the viewer's value", v)
	}
	if got := getns(t, e.Store, team).Name; got != "theirs" {
		t.Fatalf("name %q after a stale rename, want the other change kept", got)
	}
	// The page now shows the current state; submitting again applies.
	fresh := expectedVersion(t, res, action)
	if fresh == seen {
		t.Fatalf("the refused form still carries the stale version %s", seen)
	}
	wantRedirect(t, b.Post(action, form("name", "mine", "expected_version", fresh)), "/namespaces/"+team)
	if got := getns(t, e.Store, team).Name; got != "mine" {
		t.Errorf("name %q after the second submit", got)
	}
}

func TestMoveThroughTheFormOffersNoCycle(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	deep := mkns(t, e.Store, app, "deep")
	other := mkns(t, e.Store, global, "other")
	b := admin(e)
	page := b.Get("/namespaces/" + app)
	action := "/namespaces/" + app + "/move"
	var offered []string
	page.Find(`form[action="` + action + `"] select[name="namespace_id"] option`).Each(func(_ int, o *goquery.Selection) {
		offered = append(offered, o.AttrOr("value", ""))
	})
	for _, id := range []string{app, deep} {
		if slices.Contains(offered, id) {
			t.Errorf("move offers %s, in the namespace's own subtree", id)
		}
	}
	if !slices.Contains(offered, other) || !slices.Contains(offered, global) {
		t.Errorf("move offers %v, want other and Global", offered)
	}
	if sel, _ := page.Find(`select[name="namespace_id"] option[selected]`).Attr("value"); sel != team {
		t.Errorf("selected parent %q, want the current one", sel)
	}

	v := expectedVersion(t, page, action)
	// A crafted move under its own child is refused next to the field.
	res := b.Post(action, form("namespace_id", deep, "expected_version", v))
	wantStatus(t, res, http.StatusBadRequest)
	if got := res.Find("#move-parent-error").Text(); !strings.Contains(got, "own ancestor") {
		t.Errorf("cycle refusal next to the field: %q\n%s", got, res.Find("main").Text())
	}
	// The shared namespace select once took no aria attributes: the error
	// was not tied to the field a screen reader is on.
	sel := res.Find("select#move-parent")
	if sel.AttrOr("aria-invalid", "") != "true" || sel.AttrOr("aria-describedby", "") != "move-parent-error" {
		t.Errorf("the refused select is not tied to its error: aria-invalid %q, aria-describedby %q", sel.AttrOr("aria-invalid", ""), sel.AttrOr("aria-describedby", ""))
	}
	if page.Find("select#move-parent[aria-invalid], select#move-parent[aria-describedby]").Length() != 0 {
		t.Errorf("the select is marked invalid before any refusal")
	}
	if got := getns(t, e.Store, app).NamespaceID; got != team {
		t.Fatalf("parent %s after a refused move", got)
	}

	wantRedirect(t, b.Post(action, form("namespace_id", other, "expected_version", v)), "/namespaces/"+app)
	if got := getns(t, e.Store, app).NamespaceID; got != other {
		t.Fatalf("parent %s after move, want other", got)
	}
	if got := getns(t, e.Store, deep).NamespaceID; got != app {
		t.Errorf("the child of the moved namespace moved away: %s", got)
	}
}

func TestDeleteThroughTheForm(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	b := admin(e)
	page := b.Get("/namespaces/" + app)
	action := "/namespaces/" + app + "/delete"
	if c, _ := page.Find(`form[action="` + action + `"] button[data-confirm]`).Attr("data-confirm"); !strings.Contains(c, "Global / team / app") {
		t.Errorf("delete asks %q before submitting", c)
	}
	res := b.Post(action, form())
	wantRedirect(t, res, "/namespaces/"+team)
	if getns(t, e.Store, app) != nil {
		t.Fatal("namespace still there after delete")
	}
	if got := b.Follow(res).Find("p.notice").Text(); !strings.Contains(got, `"app"`) {
		t.Errorf("notice %q", got)
	}
}

func TestDeleteOfANonEmptyNamespaceShowsTheServiceMessage(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	mkns(t, e.Store, team, "app")
	b := admin(e)
	action := "/namespaces/" + team + "/delete"
	res := b.Post(action, form())
	wantStatus(t, res, http.StatusConflict)
	if got := res.Find(`form[action="` + action + `"] .error`).Text(); !strings.Contains(got, "is not empty") {
		t.Errorf("refusal says %q", got)
	}
	if getns(t, e.Store, team) == nil {
		t.Fatal("a non-empty namespace was deleted")
	}
}

func TestGlobalOffersNoRenameMoveOrDelete(t *testing.T) {
	t.Parallel()
	e := env(t)
	page := e.Recovery("").Get("/namespaces/" + global)
	wantStatus(t, page, http.StatusOK)
	if got := postForms(page); !slices.Equal(got, []string{"/namespaces/" + global + "/children"}) {
		t.Errorf("forms on Global: %v, want only the create form", got)
	}
	wantStatus(t, admin(e).Post("/namespaces/"+global+"/delete", form()), http.StatusConflict)
	if getns(t, e.Store, global) == nil {
		t.Fatal("Global deleted")
	}
}

func TestFormsWithoutTheCSRFTokenChangeNothing(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	e.Grant(store.RoleViewer, team, store.SubjectUser, "kept@example.com")
	pid := grantID(t, e.Store, team, "kept@example.com")
	b := admin(e)
	v := expectedVersion(t, b.Get("/namespaces/"+app), "/namespaces/"+app+"/rename")
	pv := expectedVersion(t, b.Get("/namespaces/"+team+"/permissions"), "/namespaces/"+team+"/permissions/"+pid)
	for _, token := range []string{"", "forged"} {
		for path, f := range map[string]map[string][]string{
			"/namespaces/" + team + "/permissions/" + pid:             form("role", "admin", "expected_version", pv),
			"/namespaces/" + team + "/permissions/" + pid + "/revoke": form(),
			"/namespaces/" + team + "/children":                       form("name", "sneaky"),
			"/namespaces/" + app + "/rename":                          form("name", "sneaky", "expected_version", v),
			"/namespaces/" + app + "/move":                            form("namespace_id", global, "expected_version", v),
			"/namespaces/" + app + "/delete":                          form(),
			"/namespaces/" + team + "/permissions":                    form("subject_type", "user", "subject_id", "x@example.com", "role", "admin"),
		} {
			f["csrf_token"] = []string{token}
			wantStatus(t, b.Post(path, f), http.StatusForbidden)
		}
	}
	ns := getns(t, e.Store, app)
	if ns == nil || ns.Name != "app" || ns.NamespaceID != team {
		t.Fatalf("app changed without a CSRF token: %+v", ns)
	}
	if got := children(t, e.Store, team); !slices.Equal(got, []string{"app"}) {
		t.Errorf("children of team: %v", got)
	}
	if got := grants(t, e.Store, team); !slices.Equal(got, []string{"user:kept@example.com=viewer"}) {
		t.Errorf("grants changed without a CSRF token: %v", got)
	}
}

func TestNamespaceFromKubernetesIsReadOnlyHere(t *testing.T) {
	t.Parallel()
	e := env(t)
	ns, err := store.Put(t.Context(), e.Store, store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "team", OriginRef: "Namespace team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	page := admin(e).Get("/namespaces/" + ns.ID)
	wantStatus(t, page, http.StatusOK)
	if f := postForms(page); len(f) != 0 {
		t.Errorf("forms on a namespace from Kubernetes: %v", f)
	}
	if !contains(page, "Namespace team") {
		t.Errorf("the page does not name the Kubernetes object:\n%s", page.Find("main").Text())
	}
}

package clusters_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestGlobalViewerSeesButCannotChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cl := f.add("east", "")
	f.e.Grant(store.RoleViewer, global, store.SubjectUser, "viewer@example.com")
	v := f.user("viewer@example.com")

	list := v.Get("/clusters")
	if list.Status != http.StatusOK || list.Find(`tbody tr[data-id="`+cl.ID+`"]`).Length() != 1 || list.Find(`tbody tr[data-id="`+global+`"]`).Length() != 1 {
		t.Fatalf("viewer's list: status %d:\n%s", list.Status, list.Find("main").Text())
	}
	if n := list.Find(`a[href="/clusters/new"], a[href$="/delete"]`).Length(); n != 0 {
		t.Errorf("the viewer gets %d add or delete links", n)
	}
	if list.Find(`nav[aria-label="Main"] a[href="/clusters"]`).Length() != 1 {
		t.Errorf("a Global viewer gets no Clusters entry in the navigation")
	}
	detail := v.Get("/clusters/" + cl.ID)
	if detail.Status != http.StatusOK || detail.Find("form[method=post]").Length() != 0 {
		t.Errorf("viewer's detail page: status %d, %d forms", detail.Status, detail.Find("form[method=post]").Length())
	}
	if got := v.Get("/clusters/new").Status; got != http.StatusForbidden {
		t.Errorf("viewer's add page: status %d, want 403", got)
	}
	if got := v.Get("/clusters/" + cl.ID + "/delete"); got.Status != http.StatusForbidden || got.Find("form[method=post]").Length() != 0 {
		t.Errorf("viewer's delete page: status %d, with a form", got.Status)
	}
	version := strconv.FormatInt(cl.Version, 10)
	test := f.addForm("west")
	test.Set("action", "test")
	edit := f.addForm("east-1")
	edit.Set("expected_version", version)
	for path, form := range map[string]url.Values{
		"/clusters/new":                  f.addForm("west"),
		"/clusters/new?test":             test,
		"/clusters/" + cl.ID:             edit,
		"/clusters/" + cl.ID + "/delete": {"expected_version": {version}},
	} {
		if res := v.Post(path, form); res.Status != http.StatusForbidden || !strings.Contains(res.Find("#page-error").Text(), "admin of namespace "+global) {
			t.Errorf("viewer's POST %s: status %d, want 403 saying why: %s", path, res.Status, res.Find("main").Text())
		}
	}
	got := f.stored()
	if len(got) != 1 || got["east"] == nil || got["east"].Retiring || got["east"].Version != cl.Version {
		t.Fatalf("refused requests changed the clusters: %v", got)
	}
}

func TestClusterHiddenFromWhomHasNoRoleInIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	east := f.add("east", "")
	west := f.add("west", "")
	team := f.mkns(global, "team")
	f.e.Grant(store.RoleAdmin, west.ID, store.SubjectUser, "west@example.com")
	f.e.Grant(store.RoleAdmin, team, store.SubjectUser, "team@example.com")

	w := f.user("west@example.com")
	list := w.Get("/clusters")
	if list.Status != http.StatusOK || list.Find(`tbody tr`).Length() != 1 || list.Find(`tbody tr[data-id="`+west.ID+`"]`).Length() != 1 {
		t.Errorf("west's admin sees rows:\n%s", list.Find("main").Text())
	}
	if got := w.Get("/clusters/" + east.ID).Status; got != http.StatusNotFound {
		t.Errorf("west's admin reads east: status %d, want 404", got)
	}
	if got := w.Get("/clusters/" + west.ID).Status; got != http.StatusOK {
		t.Errorf("west's admin reads west: status %d", got)
	}

	tm := f.user("team@example.com")
	list = tm.Get("/clusters")
	if list.Status != http.StatusOK || list.Find(`tbody tr`).Length() != 0 {
		t.Errorf("team's admin sees rows:\n%s", list.Find("main").Text())
	}
	if list.Find(`nav[aria-label="Main"] a[href="/clusters"]`).Length() != 0 {
		t.Errorf("a caller who may see no cluster gets the Clusters entry in the navigation")
	}
	for _, id := range []string{east.ID, west.ID} {
		if got := tm.Get("/clusters/" + id).Status; got != http.StatusNotFound {
			t.Errorf("team's admin reads %s: status %d, want 404", id, got)
		}
	}
}

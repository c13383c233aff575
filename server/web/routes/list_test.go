package routes_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func rowNames(res *webtest.Response) []string {
	var out []string
	res.Find("#results tbody th[scope=row] a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

func TestListFiltersAndPagesKeepFilters(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	for i := range 7 {
		f.route(ns, fmt.Sprintf("app-%d", i), fmt.Sprintf("https://app-%d.example.com", i))
	}
	f.route(ns, "other", "https://other.example.com")
	f.route(store.GlobalNamespaceID, "app-in-global", "https://global.example.com")
	b := f.e.Recovery("")

	page := b.Get("/routes?" + url.Values{"namespace": {ns}, "q": {"app"}, "limit": {"3"}, "order": {"-name"}}.Encode())
	wantStatus(t, page, http.StatusOK)
	if got := rowNames(page); strings.Join(got, ",") != "app-6,app-5,app-4" {
		t.Fatalf("first page %v, want app-6,app-5,app-4", got)
	}
	wantText(t, page, "1–3 of 7")
	next, ok := page.Find(`a[rel=next]`).Attr("href")
	if !ok {
		t.Fatal("no next link")
	}
	u, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"namespace": ns, "q": "app", "limit": "3", "order": "-name", "offset": "3"} {
		if got := u.Query().Get(k); got != want {
			t.Errorf("next link %s: %s=%q, want %q", next, k, got, want)
		}
	}
	page = b.Get(next)
	if got := rowNames(page); strings.Join(got, ",") != "app-3,app-2,app-1" {
		t.Fatalf("second page %v", got)
	}
	if href, _ := page.Find(`a[rel=prev]`).Attr("href"); !strings.Contains(href, "q=app") {
		t.Errorf("previous link %q lost the search", href)
	}

	// The default namespace is Global, and the filter form shows the
	// current filters.
	page = b.Get("/routes")
	if got := rowNames(page); strings.Join(got, ",") != "app-in-global" {
		t.Fatalf("Global lists %v", got)
	}
	page = b.Get("/routes?" + url.Values{"namespace": {ns}, "q": {"zzz"}}.Encode())
	wantText(t, page, `No route matches “zzz”`)
	if v, _ := page.Find("#f-q").Attr("value"); v != "zzz" {
		t.Errorf("search field shows %q", v)
	}
	if v, _ := page.Find(`#f-namespace option[selected]`).Attr("value"); v != ns {
		t.Errorf("namespace select shows %q, want %q", v, ns)
	}

	// htmx asks for the same page; the server renders all of it.
	part := b.HTMX(http.MethodGet, "/routes?"+url.Values{"namespace": {ns}, "q": {"other"}}.Encode(), nil)
	if got := rowNames(part); strings.Join(got, ",") != "other" {
		t.Fatalf("htmx page lists %v", got)
	}
}

func TestListShowsSyncStatusAndOrigin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	synced := f.route(store.GlobalNamespaceID, "a-synced", "https://a.example.com")
	pending := f.route(store.GlobalNamespaceID, "b-pending", "https://b.example.com")
	failed := f.route(store.GlobalNamespaceID, "c-error", "https://c.example.com")
	f.route(store.GlobalNamespaceID, "d-new", "https://d.example.com")
	stale := f.route(store.GlobalNamespaceID, "e-stale", "https://e.example.com")
	kube := f.kubernetesRoute(store.GlobalNamespaceID, "f-kube", "https://f.example.com", "Ingress default/web")
	err := f.st.SetStatus(ctx, []store.ObjectStatus{
		{Kind: store.KindRoute, ID: synced.ID, State: store.SyncSynced, ObjectVersion: synced.Version, RecordVersion: 1},
		{Kind: store.KindRoute, ID: pending.ID, State: store.SyncPending, ObjectVersion: pending.Version},
		{Kind: store.KindRoute, ID: failed.ID, State: store.SyncError, ObjectVersion: failed.Version, Reason: "upstream certificate authority not found"},
		{Kind: store.KindRoute, ID: stale.ID, State: store.SyncSynced, ObjectVersion: stale.Version - 1},
		{Kind: store.KindRoute, ID: kube.ID, State: store.SyncSynced, ObjectVersion: kube.Version},
	})
	if err != nil {
		t.Fatal(err)
	}
	page := f.e.Recovery("").Get("/routes")
	wantStatus(t, page, http.StatusOK)
	cells := map[string]string{}
	page.Find("#results tbody tr").Each(func(_ int, tr *goquery.Selection) {
		cells[tr.Find("th a").Text()] = strings.Join(strings.Fields(tr.Text()), " ")
	})
	for name, want := range map[string][]string{
		"a-synced":  {"synced", "API"},
		"b-pending": {"pending"},
		"c-error":   {"error", "upstream certificate authority not found"},
		"d-new":     {"pending"},
		"e-stale":   {"pending"},
		"f-kube":    {"synced", "Kubernetes", "Ingress default/web"},
	} {
		for _, w := range want {
			if !strings.Contains(cells[name], w) {
				t.Errorf("row %s lacks %q: %s", name, w, cells[name])
			}
		}
	}
	if strings.Contains(cells["d-new"], "error") {
		t.Errorf("a route the reconciler has not seen shows an error: %s", cells["d-new"])
	}
	// A Kubernetes route is read-only: no checkbox to delete or move it.
	if page.Find(`input[name=id][value="`+kube.ID+`"]`).Length() != 0 {
		t.Error("the Kubernetes route has a checkbox")
	}
	if page.Find(`input[name=id][value="`+synced.ID+`"]`).Length() != 1 {
		t.Error("an editable route has no checkbox")
	}
}

func TestListControlsFollowTheRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "Team")
	f.route(team, "web", "https://web.example.com")

	manager := f.user("manager@example.com", store.RoleManager, team).Get("/routes?namespace=" + team)
	wantStatus(t, manager, http.StatusOK)
	if href, _ := manager.Find(`a[href^="/routes/new"]`).Attr("href"); href != "/routes/new?namespace="+team {
		t.Errorf("new route link %q", href)
	}
	if manager.Find(`form[action="/routes/bulk"] input[name=id]`).Length() != 1 || manager.Find(`input[data-select-all=id]`).Length() != 1 {
		t.Error("a manager has no checkboxes")
	}
	if manager.Find(`form[action="/routes/bulk"] input[name=csrf_token]`).Length() != 1 {
		t.Error("the bulk form has no CSRF field")
	}

	viewer := f.user("viewer@example.com", store.RoleViewer, team).Get("/routes")
	wantStatus(t, viewer, http.StatusOK)
	// Global is not the viewer's: the list starts at the namespace it may see.
	if got := rowNames(viewer); strings.Join(got, ",") != "web" {
		t.Fatalf("viewer's default list %v", got)
	}
	for _, sel := range []string{`a[href^="/routes/new"]`, `input[name=id]`, `form[action="/routes/bulk"]`, `button[value=delete]`, `a[href^="/routes/import"]`} {
		if viewer.Find(sel).Length() != 0 {
			t.Errorf("a viewer sees %s", sel)
		}
	}
	if viewer.Find(`a[href^="/routes/export"]`).Length() == 0 {
		t.Error("a viewer cannot export the namespace")
	}

	stranger := f.e.User("stranger@example.com").Get("/routes?namespace=" + team)
	wantStatus(t, stranger, http.StatusNotFound)
}

// A search the screen shows is counted up to ui.CountUpTo matches (or the
// page's end), on either store: past that the pager says "more than" and
// still links the next page; a page past the bound is counted to its end,
// exactly.
func TestListSearchCountedUpToABound(t *testing.T) {
	t.Parallel()
	for name, newFixture := range map[string]func(*testing.T) *fixture{"embedded": newFixture, "postgres": newPostgresFixture} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testListSearchCountedUpToABound(t, newFixture(t))
		})
	}
}

func testListSearchCountedUpToABound(t *testing.T, f *fixture) {
	ns := f.namespace(store.GlobalNamespaceID, "Bulk")
	const n = ui.CountUpTo + 3
	var ops []store.Op
	for i := range n {
		name := fmt.Sprintf("bulk-%05d", i)
		ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
			Spec: &configpb.Route{From: "https://" + name + ".example.com", To: []string{"https://upstream.internal"}}}})
	}
	if _, err := f.st.Apply(t.Context(), testActor, ops...); err != nil {
		t.Fatal(err)
	}
	f.route(ns, "other", "https://other.example.com")
	b := f.e.Recovery("")

	page := b.Get("/routes?" + url.Values{"namespace": {ns}, "q": {"bulk"}}.Encode())
	wantStatus(t, page, http.StatusOK)
	if got := rowNames(page); len(got) != 50 || got[0] != "bulk-00000" || got[49] != "bulk-00049" {
		t.Fatalf("first page %v", got)
	}
	wantText(t, page, fmt.Sprintf("1–50 of more than %d", ui.CountUpTo))
	if _, ok := page.Find(`a[rel=next]`).Attr("href"); !ok {
		t.Error("no next link past the bound")
	}

	page = b.Get("/routes?" + url.Values{"namespace": {ns}, "q": {"bulk"}, "offset": {fmt.Sprint(n - 3)}}.Encode())
	if got := rowNames(page); strings.Join(got, ",") != "bulk-10000,bulk-10001,bulk-10002" {
		t.Fatalf("last page %v", got)
	}
	wantText(t, page, fmt.Sprintf("%d–%d of %d", n-2, n, n))
	if _, ok := page.Find(`a[rel=next]`).Attr("href"); ok {
		t.Error("a next link after the last match")
	}

	// Without a search the list is counted from the store's counts.
	wantText(t, b.Get("/routes?"+url.Values{"namespace": {ns}}.Encode()), fmt.Sprintf("1–50 of %d", n+1))
}

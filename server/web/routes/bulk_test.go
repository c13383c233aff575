package routes_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestBulkDeleteDeletesTheSelectedRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	a := f.route(ns, "a", "https://a.example.com")
	b := f.route(ns, "b", "https://b.example.com")
	f.route(ns, "c", "https://c.example.com")
	browser := f.user("manager@example.com", store.RoleManager, ns)
	browser.Get("/routes?namespace=" + ns)

	res := browser.Post("/routes/bulk", url.Values{"action": {"delete"}, "id": {a.ID, b.ID}, "namespace": {ns}, "q": {"example"}})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Location(); !strings.Contains(loc, "q=example") || !strings.Contains(loc, "namespace="+ns) {
		t.Errorf("redirect %q lost the list's filters", loc)
	}
	if got := f.routeNames(ns); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("routes left %v, want [c]", got)
	}
	page := browser.Follow(res)
	wantText(t, page, "Deleted 2 routes: a, b.")

	// Nothing selected: refused with the reason, nothing changed.
	res = browser.Post("/routes/bulk", url.Values{"action": {"delete"}, "namespace": {ns}})
	wantStatus(t, res, http.StatusBadRequest)
	wantText(t, res, "Select at least one route first.")
}

func TestBulkRefusalNamesEveryRouteAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := f.namespace(store.GlobalNamespaceID, "Mine")
	theirs := f.namespace(store.GlobalNamespaceID, "Theirs")
	ok := f.route(mine, "editable", "https://ok.example.com")
	kube := f.kubernetesRoute(mine, "from-kube", "https://kube.example.com", "HTTPRoute default/web")
	other := f.route(theirs, "not-mine", "https://theirs.example.com")
	f.e.Grant(store.RoleViewer, theirs, store.SubjectUser, "manager@example.com")
	browser := f.user("manager@example.com", store.RoleManager, mine)
	before := f.version()

	res := browser.Post("/routes/bulk", url.Values{"action": {"delete"}, "id": {ok.ID, kube.ID, other.ID, "00000000-0000-4000-8000-000000000000"}, "namespace": {mine}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "Nothing was changed", "3 of the selected routes",
		"from-kube", "managed by Kubernetes (HTTPRoute default/web)",
		"not-mine", "needs the manager role in Global / Theirs; you are viewer there",
		"Unknown route", "not found")
	if f.version() != before {
		t.Fatal("a refused bulk delete wrote to the store")
	}
	// The selection survives the refusal.
	if res.Find(`input[name=id][value="`+ok.ID+`"][checked]`).Length() != 1 {
		t.Error("the refused page lost the selection")
	}

	// Kubernetes alone: a conflict, not a permission problem.
	res = browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {kube.ID}, "move_to": {mine}, "namespace": {mine}})
	wantStatus(t, res, http.StatusConflict)
	if f.version() != before {
		t.Fatal("a refused move wrote to the store")
	}
}

func TestBulkMoveMovesToANamespaceTheViewerManages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	from := f.namespace(store.GlobalNamespaceID, "From")
	to := f.namespace(store.GlobalNamespaceID, "To")
	locked := f.namespace(store.GlobalNamespaceID, "Locked")
	a := f.route(from, "a", "https://a.example.com")
	b := f.route(from, "b", "https://b.example.com")
	f.e.Grant(store.RoleManager, to, store.SubjectUser, "manager@example.com")
	f.e.Grant(store.RoleViewer, locked, store.SubjectUser, "manager@example.com")
	browser := f.user("manager@example.com", store.RoleManager, from)

	page := browser.Get("/routes?namespace=" + from)
	var targets []string
	for _, n := range page.Find("#move-to option").Nodes {
		for _, at := range n.Attr {
			if at.Key == "value" {
				targets = append(targets, at.Val)
			}
		}
	}
	if slices.Contains(targets, locked) || !slices.Contains(targets, to) {
		t.Errorf("move targets %v: want %s, not %s", targets, to, locked)
	}

	before := f.version()
	res := browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {a.ID}, "move_to": {locked}, "namespace": {from}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "Nothing was moved", "Global / Locked")
	if f.version() != before {
		t.Fatal("a refused move wrote to the store")
	}

	res = browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {a.ID, b.ID}, "move_to": {to}, "namespace": {from}})
	wantStatus(t, res, http.StatusSeeOther)
	if got := f.routeNames(to); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("routes in the target %v", got)
	}
	if got := f.routeNames(from); len(got) != 0 {
		t.Fatalf("routes left behind %v", got)
	}
	wantText(t, browser.Follow(res), "Moved 2 routes to Global / To: a, b.")
}

func TestBulkIsRefusedToViewersAndWithoutCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	a := f.route(ns, "a", "https://a.example.com")
	viewer := f.user("viewer@example.com", store.RoleViewer, ns)
	admin := f.e.Recovery("")
	before := f.version()

	res := viewer.Post("/routes/bulk", url.Values{"action": {"delete"}, "id": {a.ID}, "namespace": {ns}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "needs the manager role")
	if res.Find(`form[action="/routes/bulk"]`).Length() != 0 {
		t.Error("the refusal shows a viewer the bulk form")
	}
	res = viewer.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {a.ID}, "move_to": {ns}, "namespace": {ns}})
	wantStatus(t, res, http.StatusForbidden)
	res = viewer.Post("/routes/bulk", url.Values{"action": {"export-yaml"}, "id": {a.ID}, "namespace": {ns}})
	wantStatus(t, res, http.StatusOK) // exporting only reads

	for _, token := range []string{"", "not-the-token"} {
		res = admin.Post("/routes/bulk", url.Values{"action": {"delete"}, "id": {a.ID}, "csrf_token": {token}})
		wantStatus(t, res, http.StatusForbidden)
	}
	if f.version() != before {
		t.Fatal("a refused request wrote to the store")
	}
	if got := f.routeNames(ns); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("routes %v", got)
	}
}

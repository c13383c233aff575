package routes_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/routes"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// racingStore is the real store with a change made by someone else between
// the page's check of a bulk move and the move itself: just before the
// first write that puts several routes, it deletes the route that write
// names at index deleteAt, so that the use cases refuse that index.
type racingStore struct {
	store.Store
	deleteAt int
	once     sync.Once
}

func (s *racingStore) Apply(ctx context.Context, actor store.Actor, ops ...store.Op) ([]store.Object, error) {
	if s.deleteAt < len(ops) && routePuts(ops) {
		var err error
		s.once.Do(func() {
			id := ops[s.deleteAt].(*store.PutOp).Object.GetObjectMeta().ID
			err = store.Delete(ctx, s.Store, testActor, store.DeleteOp{Kind: store.KindRoute, ID: id})
		})
		if err != nil {
			return nil, err
		}
	}
	return s.Store.Apply(ctx, actor, ops...)
}

// routePuts reports whether every op puts a route.
func routePuts(ops []store.Op) bool {
	for _, op := range ops {
		put, ok := op.(*store.PutOp)
		if !ok || put.Object.Kind() != store.KindRoute {
			return false
		}
	}
	return true
}

// TestBulkMoveRefusalNamesTheRouteTheServiceNamed selects a route already
// in the target with two to move; the use cases refuse the second route
// they were asked to move, by its index in the call, and the page must
// name that route, not the one at that index of the selection.
func TestBulkMoveRefusalNamesTheRouteTheServiceNamed(t *testing.T) {
	t.Parallel()
	st := webtest.Embedded(t)
	racing := &racingStore{Store: st, deleteAt: 1}
	f := &fixture{t: t, st: st, e: webtest.New(t, racing, webtest.Options{Screens: []web.Screen{routes.Register}})}
	from := f.namespace(store.GlobalNamespaceID, "From")
	to := f.namespace(store.GlobalNamespaceID, "To")
	there := f.route(to, "already-there", "https://there.example.com")
	a := f.route(from, "first-to-move", "https://a.example.com")
	b := f.route(from, "second-to-move", "https://b.example.com")
	browser := f.user("manager@example.com", store.RoleManager, store.GlobalNamespaceID)

	res := browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {there.ID, a.ID, b.ID}, "move_to": {to}, "namespace": {from}})
	wantStatus(t, res, http.StatusNotFound)
	failures := strings.Join(strings.Fields(res.Find("#bulk-failures").Text()), " ")
	if !strings.Contains(failures, "second-to-move") || !strings.Contains(failures, b.ID) || strings.Contains(failures, "first-to-move") {
		t.Errorf("the refusal names the wrong route: %q", failures)
	}
	if got := f.routeNames(from); !slices.Equal(got, []string{"first-to-move"}) {
		t.Errorf("routes left in From %v: the refused move changed something", got)
	}
}

// TestListRefusalShowsInResults: htmx swaps only #results, so a list the
// service refuses (a namespace deleted since the page was shown) must say
// why inside it; a plain request gets the error page.
func TestListRefusalShowsInResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gone := f.namespace(store.GlobalNamespaceID, "Gone")
	if err := store.Delete(t.Context(), f.st, testActor, store.DeleteOp{Kind: store.KindNamespace, ID: gone}); err != nil {
		t.Fatal(err)
	}
	b := f.e.Recovery("")
	path := "/routes?" + url.Values{"namespace": {gone}}.Encode()

	part := b.HTMX(http.MethodGet, path, nil)
	wantStatus(t, part, http.StatusNotFound)
	alert := part.Find(`#results [role=alert]`)
	if !strings.Contains(alert.Text(), "not found") {
		t.Errorf("#results does not say why the list is empty: %q", strings.TrimSpace(part.Find("#results").Text()))
	}
	if _, ok := alert.Attr("data-focus"); !ok {
		t.Error("the message inside #results does not take the focus after the swap")
	}

	page := b.Get(path)
	wantStatus(t, page, http.StatusNotFound)
	wantText(t, page, "not found")
}

// TestHiddenNamespacesAreNotFound: a namespace the viewer may not see is
// answered as the services do, 404 without its name, by the bulk move and
// the import; one the viewer sees without the manager role stays 403.
func TestHiddenNamespacesAreNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := f.namespace(store.GlobalNamespaceID, "Mine")
	hidden := f.namespace(store.GlobalNamespaceID, "Hidden-Team")
	a := f.route(mine, "a", "https://a.example.com")
	browser := f.user("manager@example.com", store.RoleManager, mine)
	before := f.version()
	wantHidden := func(what string, res *webtest.Response) {
		t.Helper()
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404: %s", what, res.Status, mainText(res))
		}
		if !strings.Contains(mainText(res), "namespace "+hidden+" not found") {
			t.Errorf("%s: the page does not say the namespace is not found: %s", what, mainText(res))
		}
		if strings.Contains(res.Text(), "Hidden-Team") {
			t.Errorf("%s: the page names the hidden namespace", what)
		}
	}
	wantHidden("bulk move", browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {a.ID}, "move_to": {hidden}, "namespace": {mine}}))
	wantHidden("import", browser.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {hidden}, "content": {goodConfig}}))
	if f.version() != before {
		t.Fatal("a refused request wrote to the store")
	}

	f.e.Grant(store.RoleViewer, hidden, store.SubjectUser, "manager@example.com")
	res := browser.Post("/routes/bulk", url.Values{"action": {"move"}, "id": {a.ID}, "move_to": {hidden}, "namespace": {mine}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "Global / Hidden-Team")
	res = browser.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {hidden}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "Global / Hidden-Team")
}

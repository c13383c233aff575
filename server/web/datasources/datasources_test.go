package datasources_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/datasources"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const global = store.GlobalNamespaceID

// fixture is a console with the data sources screen, whose test fetches
// may reach a directory server on loopback.
type fixture struct {
	t   *testing.T
	e   *webtest.Env
	st  store.Store
	dir *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := webtest.Embedded(t)
	fetcher := datasource.NewFetcher(datasource.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}), datasource.Limits{})
	e := webtest.New(t, st, webtest.Options{Screens: []web.Screen{datasources.Register}, Fetcher: fetcher})
	dir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id": "u1", "email": "a@example.com"}, {"id": "u2", "email": "b@example.com", "admin": true}]`)) // a client gone is the test's business
	}))
	t.Cleanup(dir.Close)
	return &fixture{t: t, e: e, st: st, dir: dir}
}

// form is the add form filled to fetch the fixture's directory.
func (f *fixture) form(recordType string) url.Values {
	return url.Values{"cluster_id": {global}, "url": {f.dir.URL}, "record_type": {recordType}, "foreign_key": {"id"},
		"headers": {"Authorization: Bearer s3cret\nX-Team: blue"}, "polling_min_delay": {"30s"}}
}

func (f *fixture) stored() []*store.DataSource {
	f.t.Helper()
	res, err := f.st.List(f.t.Context(), store.KindDataSource, store.ListQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*store.DataSource
	for _, o := range res.Objects {
		d, err := store.Get[*store.DataSource](f.t.Context(), f.st, o.GetObjectMeta().ID, store.WithSecrets())
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestAddTestEditAndDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.Recovery("")
	list := admin.Get("/data-sources")
	if list.Status != http.StatusOK || list.Find(`a[href="/data-sources/new?cluster=`+global+`"]`).Length() != 1 {
		t.Fatalf("list: status %d:\n%s", list.Status, list.Find("main").Text())
	}
	if got := list.Find(`nav[aria-label="Main"] a[aria-current="page"]`).Text(); got != "Data sources" {
		t.Errorf("the current navigation entry is %q", got)
	}

	// Test fetch: a preview of the records, nothing saved.
	test := f.form("pomerium.io/DirectoryUser")
	test.Set("action", "test")
	res := admin.Post("/data-sources/new", test)
	if res.Status != http.StatusOK {
		t.Fatalf("test fetch: status %d:\n%s", res.Status, res.Find("main").Text())
	}
	if got := res.Find("#test-result").Text(); !strings.Contains(got, "found 2 records with the fields admin, email, id") {
		t.Errorf("test result: %q", got)
	}
	if got := res.Find("#preview tbody tr").Length(); got != 2 {
		t.Errorf("preview rows: %d", got)
	}
	if got := res.Find("#preview tbody tr").Last().Text(); !strings.Contains(got, "b@example.com") || !strings.Contains(got, "true") {
		t.Errorf("preview's second row: %q", got)
	}
	if n := len(f.stored()); n != 0 {
		t.Fatalf("a test fetch saved %d data sources", n)
	}
	// A test fetch that fails says why next to the URL.
	bad := f.form("pomerium.io/DirectoryUser")
	bad.Set("action", "test")
	bad.Set("headers", "")
	res = admin.Post("/data-sources/new", bad)
	if res.Status != http.StatusBadGateway || !strings.Contains(res.Find("#url-error").Text(), "401 Unauthorized") {
		t.Errorf("a failing test fetch: status %d, %q", res.Status, res.Find("#url-error").Text())
	}

	// Add.
	res = admin.Post("/data-sources/new", f.form("pomerium.io/DirectoryUser"))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d:\n%s", res.Status, res.Find("main").Text())
	}
	all := f.stored()
	if len(all) != 1 || all[0].Headers["X-Team"] != "blue" || all[0].PollingMinDelay != 30*time.Second || all[0].NamespaceID != global {
		t.Fatalf("stored: %+v", all)
	}
	d := all[0]
	list = admin.Follow(res)
	row := list.Find(`tbody tr[data-id="` + d.ID + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Find("td.status").Text(), "not fetched yet") {
		t.Fatalf("list after add:\n%s", list.Find("main").Text())
	}

	// The status the fetcher stored shows on the list and the page.
	now := time.Now()
	if err := f.st.SetDataSourceStatus(t.Context(), store.DataSourceStatus{ID: d.ID, ClusterID: store.DefaultClusterID, RecordType: d.RecordType,
		LastFetch: now, LastSuccess: now.Add(-time.Minute), Records: 2, Fields: []string{"email", "id"}, LastError: "fetch: the server answered 503", LastErrorAt: now}); err != nil {
		t.Fatal(err)
	}
	list = admin.Get("/data-sources")
	if got := list.Find(`tbody tr[data-id="` + d.ID + `"] td.status`).Text(); !strings.Contains(got, "failing") || !strings.Contains(got, "503") {
		t.Errorf("status on the list: %q", got)
	}
	page := admin.Get("/data-sources/" + d.ID)
	if page.Status != http.StatusOK || page.Find(`textarea#headers`).Text() != "Authorization: Bearer s3cret\nX-Team: blue" {
		t.Fatalf("page: status %d:\n%s", page.Status, page.Find("main").Text())
	}

	// Edit: refusals land next to their input.
	edit := f.form("type.googleapis.com/pomerium.config.Route")
	res = admin.Post("/data-sources/"+d.ID, edit)
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Find("#record_type-error").Text(), "a type Pomerium writes itself") {
		t.Errorf("a refused edit: status %d, %q", res.Status, res.Find("#record_type-error").Text())
	}
	edit = f.form("pomerium.io/DirectoryUser")
	edit.Set("polling_max_delay", "soon")
	res = admin.Post("/data-sources/"+d.ID, edit)
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Find("#polling_max_delay-error").Text(), "not a duration") {
		t.Errorf("an unreadable delay: status %d, %q", res.Status, res.Find("#polling_max_delay-error").Text())
	}
	edit = f.form("pomerium.io/DirectoryUser")
	edit.Set("headers", "")
	edit.Set("foreign_key", "email")
	if res = admin.Post("/data-sources/"+d.ID, edit); res.Status != http.StatusSeeOther {
		t.Fatalf("edit: status %d:\n%s", res.Status, res.Find("main").Text())
	}
	if got := f.stored()[0]; got.ForeignKey != "email" || len(got.Headers) != 0 {
		t.Errorf("after the edit: %+v", got)
	}

	// Delete.
	confirm := admin.Get("/data-sources/" + d.ID + "/delete")
	if confirm.Status != http.StatusOK || !strings.Contains(confirm.Find("#delete-records").Text(), "removes its 2 records") {
		t.Errorf("confirmation: status %d, %q", confirm.Status, confirm.Find("#delete-records").Text())
	}
	if res = admin.Post("/data-sources/"+d.ID+"/delete", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("delete: status %d:\n%s", res.Status, res.Find("main").Text())
	}
	if n := len(f.stored()); n != 0 {
		t.Errorf("%d data sources left", n)
	}
}

// TestOnlyAdminsManageDataSources: the screen is the admins' of a
// cluster's namespace; others get no entry in the navigation and are
// refused.
func TestOnlyAdminsManageDataSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.Recovery("")
	admin.Get("/data-sources")
	if res := admin.Post("/data-sources/new", f.form("pomerium.io/DirectoryUser")); res.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d", res.Status)
	}
	id := f.stored()[0].ID
	for _, role := range []store.Role{store.RoleManager, store.RoleViewer} {
		email := string(role) + "@example.com"
		f.e.Grant(role, global, store.SubjectUser, email)
		b := f.e.User(email)
		list := b.Get("/data-sources")
		if list.Status != http.StatusForbidden || list.Find(`nav[aria-label="Main"] a[href="/data-sources"]`).Length() != 0 {
			t.Errorf("%s's list: status %d, want 403 and no navigation entry", role, list.Status)
		}
		for _, path := range []string{"/data-sources/" + id, "/data-sources/new", "/data-sources/" + id + "/delete"} {
			if got := b.Get(path).Status; got != http.StatusForbidden {
				t.Errorf("%s's GET %s: status %d, want 403", role, path, got)
			}
		}
		if res := b.Post("/data-sources/"+id+"/delete", url.Values{}); res.Status != http.StatusForbidden {
			t.Errorf("%s's delete: status %d", role, res.Status)
		}
	}
	if n := len(f.stored()); n != 1 {
		t.Errorf("refused requests left %d data sources", n)
	}
}

package clusters_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestListShowsEveryClusterWithItsHealth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	synced := f.add("east", "")
	failing := f.add("west", "")
	silent := f.add("north", "")
	gone := f.add("south", "")
	now := time.Now()
	for _, h := range []store.Health{
		{Name: store.DefaultClusterName, LastSuccess: now, SyncedVersion: 1, UpdatedAt: now},
		{Name: synced.ID, LastSuccess: now, SyncedVersion: 1, UpdatedAt: now},
		{Name: failing.ID, LastSuccess: now.Add(-time.Hour), LastError: "put records: connection refused", LastErrorAt: now, UpdatedAt: now},
		{Name: gone.ID, LastError: "delete records: deadline exceeded", LastErrorAt: now, UpdatedAt: now},
	} {
		if err := f.st.SetHealth(t.Context(), h); err != nil {
			t.Fatal(err)
		}
	}
	admin := f.admin()
	sys, err := f.e.App.System(t.Context(), "test", store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.App.DeleteCluster(t.Context(), sys, gone.ID, nil); err != nil {
		t.Fatal(err)
	}

	page := admin.Get("/clusters")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	var names []string
	page.Find("tbody tr th").Each(func(_ int, s *goquery.Selection) { names = append(names, strings.Fields(s.Text())[0]) })
	if got := strings.Join(names, ","); got != "default,east,north,west,south" {
		t.Errorf("rows %q, want the default first, the others by name, the deleted last", got)
	}
	for _, c := range []struct {
		id, url, health string
	}{
		{global, defaultURL, "in sync"},
		{synced.ID, f.urls[synced.ID], "in sync"},
		{failing.ID, f.urls[failing.ID], "error put records: connection refused"},
		{silent.ID, f.urls[silent.ID], "no report yet"},
		{gone.ID, f.urls[gone.ID], "deleting"},
	} {
		row := page.Find(`tbody tr[data-id="` + c.id + `"]`)
		if row.Length() != 1 {
			t.Fatalf("no row for %s:\n%s", c.id, page.Find("main").Text())
		}
		if got := row.Find("td code").First().Text(); got != c.url {
			t.Errorf("%s: URL %q, want %q", c.id, got, c.url)
		}
		if got := strings.Join(strings.Fields(row.Find("td.health").Text()), " "); !strings.HasPrefix(got, c.health) {
			t.Errorf("%s: health %q, want %q", c.id, got, c.health)
		}
	}
	if got := page.Find(`tr[data-id="` + gone.ID + `"] td.health`).Text(); !strings.Contains(got, "deadline exceeded") {
		t.Errorf("the deleted cluster's health does not say what holds it up: %q", got)
	}
	if page.Find(`a[href="/clusters/new"]`).Length() != 1 {
		t.Errorf("an admin gets no add link")
	}
	for _, id := range []string{synced.ID, failing.ID, silent.ID} {
		if page.Find(`tr[data-id="`+id+`"] a[href="/clusters/`+id+`/delete"]`).Length() != 1 {
			t.Errorf("%s: no delete link", id)
		}
	}
	for _, id := range []string{global, gone.ID} {
		if page.Find(`tr[data-id="`+id+`"] a[href$="/delete"]`).Length() != 0 {
			t.Errorf("%s: the default or a deleted cluster has a delete link", id)
		}
	}
	if got := page.Find(`nav[aria-label="Main"] a[aria-current="page"]`).Text(); got != "Clusters" {
		t.Errorf("the current navigation entry is %q", got)
	}
}

package activity_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestMoveFromAHiddenNamespaceShowsNoDiff: a viewer of the namespace a
// route was moved into sees the move, but neither in the list, on the
// entry's page nor in the export the version it had in a namespace the
// viewer cannot see.
func TestMoveFromAHiddenNamespaceShowsNoDiff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hidden := f.namespace(alice, store.GlobalNamespaceID, "Hidden")
	open := f.namespace(alice, store.GlobalNamespaceID, "Open")
	r := f.route(alice, newRoute(hidden.ID, "app", "https://secret-upstream.internal"))
	r.NamespaceID = open.ID
	r.Spec.To = []string{"https://app.internal"}
	if _, err := store.Put(t.Context(), f.st, alice, r, r.Version); err != nil {
		t.Fatal(err)
	}
	f.e.Grant(store.RoleViewer, open.ID, store.SubjectUser, "viewer@example.com")
	b := f.e.User("viewer@example.com")

	list := b.Get("/activity?namespace=" + open.ID + "&entity_type=route")
	if list.Status != http.StatusOK || !strings.Contains(list.Find("tbody").Text(), "+0 -0") {
		t.Fatalf("list: %d, rows %q", list.Status, list.Find("tbody").Text())
	}
	href, _ := list.Find(`tbody a[href^="/activity/"]`).First().Attr("href")
	entry := b.Get(href)
	if entry.Status != http.StatusOK || strings.Contains(entry.Text(), "secret-upstream") || entry.Find("pre.diff .del").Length() != 0 {
		t.Fatalf("entry %s shows the hidden version: %d\n%s", href, entry.Status, entry.Find("main").Text())
	}
	export := b.Get("/activity/export?format=json&namespace=" + open.ID + "&entity_type=route")
	var got struct {
		Entries []struct {
			Diff    string `json:"diff"`
			Removed int    `json:"removed"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(export.Body, &got); err != nil || len(got.Entries) != 1 {
		t.Fatalf("export: %v, %s", err, export.Text())
	}
	if got.Entries[0].Diff != "" || got.Entries[0].Removed != 0 || strings.Contains(export.Text(), "secret-upstream") {
		t.Fatalf("the export shows the hidden version: %s", export.Text())
	}
	// An admin of both sees the diff.
	if admin := f.e.Recovery("").Get(href); !strings.Contains(admin.Find("pre.diff").Text(), "secret-upstream") {
		t.Fatalf("the admin does not see the diff:\n%s", admin.Find("main").Text())
	}
}

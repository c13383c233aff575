package activity_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestEntryShowsSnapshotAndDiff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	app := f.route(alice, newRoute(store.GlobalNamespaceID, "app", "https://old.internal"))
	app.Spec.To = []string{"https://new.internal"}
	app = f.route(bob, app)
	if err := store.Delete(t.Context(), f.st, alice, store.DeleteOp{Kind: store.KindRoute, ID: app.ID}); err != nil {
		t.Fatal(err)
	}
	ids := f.entries(app.ID)
	if len(ids) != 3 {
		t.Fatalf("entries %v", ids)
	}
	b := f.e.Recovery("")

	page := b.Get(fmt.Sprintf("/activity/%d", ids[1]))
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := page.Find("pre.diff span.del").Text(); !strings.Contains(got, "old.internal") {
		t.Errorf("removed lines %q", got)
	}
	if got := page.Find("pre.diff span.add").Text(); !strings.Contains(got, "new.internal") {
		t.Errorf("added lines %q", got)
	}
	if !strings.HasPrefix(page.Find("pre.diff span.hunk").Last().Text(), "@@") {
		t.Errorf("no hunk line in\n%s", page.Find("pre.diff").Text())
	}
	if got := page.Find("#snapshot").Text(); !strings.Contains(got, `"https://new.internal"`) || strings.Contains(got, "old.internal") {
		t.Errorf("snapshot %q", got)
	}
	if got := page.Find("dl.details").Text(); !strings.Contains(got, "bob@example.com") || !strings.Contains(got, "import") {
		t.Errorf("who %q", got)
	}
	for rel, id := range map[string]int64{"prev": ids[0], "next": ids[2]} {
		if href, _ := page.Find(`a[rel="` + rel + `"]`).Attr("href"); href != fmt.Sprintf("/activity/%d", id) {
			t.Errorf("%s link %q, want entry %d", rel, href, id)
		}
	}
	// The compare form offers the other versions and compares with this one.
	form := page.Find(`form[action="/activity/compare"]`)
	if v, _ := form.Find(`input[name="to"]`).Attr("value"); v != fmt.Sprint(ids[1]) {
		t.Errorf("compare to %q", v)
	}
	if n := form.Find(`select[name="from"] option`).Length(); n != 2 {
		t.Errorf("compare offers %d versions, want 2", n)
	}

	deleted := b.Get(fmt.Sprintf("/activity/%d", ids[2]))
	if deleted.Status != http.StatusOK || deleted.Find("#snapshot").Length() != 0 || deleted.Find("pre.diff span.del").Length() == 0 {
		t.Errorf("entry of the delete: status %d\n%s", deleted.Status, deleted.Find("main").Text())
	}
	for _, id := range []string{"999999", "nope"} {
		if got := b.Get("/activity/" + id).Status; got != http.StatusNotFound && got != http.StatusBadRequest {
			t.Errorf("entry %s: status %d", id, got)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	app := f.route(alice, newRoute(store.GlobalNamespaceID, "app", "https://one.internal"))
	app.Spec.To = []string{"https://two.internal"}
	app = f.route(alice, app)
	app.Spec.To = []string{"https://three.internal"}
	f.route(alice, app)
	other := f.policy(alice, store.GlobalNamespaceID, "p")
	ids, otherIDs := f.entries(app.ID), f.entries(other.ID)
	b := f.e.Recovery("")

	page := b.Get(fmt.Sprintf("/activity/compare?entity_type=route&entity_id=%s&from=%d&to=%d", app.ID, ids[0], ids[2]))
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := page.Find("pre.diff span.del").Text(); !strings.Contains(got, "one.internal") {
		t.Errorf("removed lines %q", got)
	}
	if got := page.Find("pre.diff span.add").Text(); !strings.Contains(got, "three.internal") {
		t.Errorf("added lines %q", got)
	}
	if strings.Contains(page.Find("pre.diff").Text(), "two.internal") {
		t.Errorf("the diff of the first and third versions shows the second")
	}

	across := b.Get(fmt.Sprintf("/activity/compare?from=%d&to=%d", ids[0], otherIDs[0]))
	if across.Status != http.StatusBadRequest || !strings.Contains(across.Find("#page-error").Text(), "different entities") {
		t.Errorf("compare across entities: status %d: %s", across.Status, across.Find("main").Text())
	}
	wrong := b.Get(fmt.Sprintf("/activity/compare?entity_type=policy&entity_id=%s&from=%d&to=%d", other.ID, ids[0], ids[1]))
	if wrong.Status != http.StatusBadRequest {
		t.Errorf("compare of entries of another entity than named: status %d", wrong.Status)
	}
}

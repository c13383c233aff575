package activity_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestViewerOfChildSeesItsOwnHistoryOnly: a viewer of one namespace reads
// the history of that namespace (and of those below it), never that of a
// sibling: not in the list, not one entry, not in an export, not in a
// comparison.
func TestViewerOfChildSeesItsOwnHistoryOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ours := f.namespace(alice, store.GlobalNamespaceID, "Ours")
	theirs := f.namespace(alice, store.GlobalNamespaceID, "Theirs")
	mine := f.route(alice, newRoute(ours.ID, "mine", "https://a.internal"))
	secret := f.route(alice, newRoute(theirs.ID, "secret", "https://a.internal"))
	secret.Spec.To = []string{"https://b.internal"}
	f.route(alice, secret)
	f.e.Grant(store.RoleViewer, ours.ID, store.SubjectUser, "carol@example.com")
	carol := f.e.User("carol@example.com")
	secretIDs := f.entries(secret.ID)

	page := carol.Get("/activity")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	// Her own permission is in her namespace too.
	if got := rows(page); !slices.Equal(got, []string{"user carol@example.com: viewer", "mine"}) {
		t.Errorf("carol's log %q, want her namespace's only", got)
	}
	if page.Find(`#f-namespace option[value=""]`).Length() != 0 {
		t.Errorf("carol is offered the log of every namespace")
	}
	for _, path := range []string{
		"/activity?namespace=" + theirs.ID,
		"/activity?namespace=" + store.GlobalNamespaceID + "&below=1",
		fmt.Sprintf("/activity/%d", secretIDs[0]),
		fmt.Sprintf("/activity/compare?from=%d&to=%d", secretIDs[0], secretIDs[1]),
		"/activity/export?format=csv&namespace=" + theirs.ID,
	} {
		if got := carol.Get(path); got.Status != http.StatusNotFound && got.Status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403 or 404", path, got.Status)
		} else if strings.Contains(got.Source(), "secret") {
			t.Errorf("%s shows the sibling's route", path)
		}
	}
	if got := carol.Get(fmt.Sprintf("/activity/%d", f.entries(mine.ID)[0])); got.Status != http.StatusOK {
		t.Errorf("carol's own entry: status %d", got.Status)
	}

	export := carol.Get("/activity/export?format=csv")
	if export.Status != http.StatusOK {
		t.Fatalf("export: status %d: %s", export.Status, export.Text())
	}
	records, err := csv.NewReader(strings.NewReader(export.Text())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range records[1:] {
		names = append(names, r[7])
	}
	if !slices.Equal(names, []string{"user carol@example.com: viewer", "mine"}) {
		t.Errorf("carol's export %q, want her namespace's only", names)
	}

	if got := f.e.User("nobody@example.com").Get("/activity"); got.Status != http.StatusForbidden {
		t.Errorf("a user without a role: status %d, want 403", got.Status)
	}
}

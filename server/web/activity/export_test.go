package activity_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(alice, store.GlobalNamespaceID, "Team")
	app := f.route(alice, newRoute(team.ID, "app", "https://a.internal"))
	f.policy(bob, team.ID, "p")
	b := f.e.Recovery("")

	res := b.Get("/activity/export?format=csv&namespace=" + team.ID)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Text())
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(strings.NewReader(res.Text())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"id", "time", "subject", "origin", "action", "entity_type", "entity_id", "entity_name", "namespace_id", "added", "removed"}
	if len(records) != 3 || !slices.Equal(records[0], wantHeader) {
		t.Fatalf("records %q", records)
	}
	policy, route := records[1], records[2]
	if policy[2] != "bob@example.com" || policy[3] != "import" || policy[4] != "set" || policy[5] != "policy" || policy[7] != "p" || policy[8] != team.ID {
		t.Errorf("policy record %q", policy)
	}
	if route[6] != app.ID || route[9] == "0" || route[10] != "0" {
		t.Errorf("route record %q", route)
	}
	if _, err := time.Parse(time.RFC3339Nano, route[1]); err != nil {
		t.Errorf("time %q: %v", route[1], err)
	}

	res = b.Get("/activity/export?format=json&entity_type=route")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, %s: %s", res.Status, res.Header.Get("Content-Type"), res.Text())
	}
	var doc struct {
		TotalCount int  `json:"total_count"`
		Truncated  bool `json:"truncated"`
		Entries    []struct {
			EntityID string          `json:"entity_id"`
			Subject  string          `json:"subject"`
			Snapshot json.RawMessage `json:"snapshot"`
			Diff     string          `json:"diff"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(res.Body, &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, res.Text())
	}
	if doc.TotalCount != 1 || doc.Truncated || len(doc.Entries) != 1 || res.Header.Get("X-Activity-Truncated") != "false" {
		t.Fatalf("export %+v", doc)
	}
	e := doc.Entries[0]
	if e.EntityID != app.ID || e.Subject != "alice@example.com" || !strings.Contains(string(e.Snapshot), "a.internal") || !strings.Contains(e.Diff, "+") {
		t.Errorf("entry %+v", e)
	}

	// A subject that reads like a formula does not run as one in a spreadsheet.
	evil := store.Actor{Subject: "=HYPERLINK(\"https://evil.example\")", Origin: store.OriginAPI}
	f.policy(evil, store.GlobalNamespaceID, "q")
	records, err = csv.NewReader(strings.NewReader(b.Get("/activity/export?format=csv&entity_type=policy").Text())).ReadAll()
	if err != nil || records[1][2] != "'"+evil.Subject {
		t.Errorf("formula subject in CSV: %q, %v", records[1], err)
	}

	for _, path := range []string{"/activity/export?format=xml", "/activity/export?format=csv&entity_id=no%09pe"} {
		if got := b.Get(path).Status; got != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", path, got)
		}
	}
}

package activity_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestListShowsWhoDidWhat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(alice, store.GlobalNamespaceID, "Team")
	app := f.route(alice, newRoute(team.ID, "app", "https://a.internal"))
	app.Spec.To = []string{"https://b.internal"}
	f.route(bob, app)
	f.policy(bob, store.GlobalNamespaceID, "admins")

	page := f.e.Recovery("").Get("/activity")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	got := rows(page)
	for _, want := range []string{"Team", "app", "admins"} {
		if !slices.Contains(got, want) {
			t.Errorf("the log lacks %q: %q", want, got)
		}
	}
	text := page.Find("#results tbody").Text()
	for _, want := range []string{"alice@example.com", "bob@example.com", "API", "import", "Global / Team", "Route", "Policy"} {
		if !strings.Contains(text, want) {
			t.Errorf("the log lacks %q:\n%s", want, text)
		}
	}
	// The newest first: bob's policy, then bob's edit of the route.
	if got[0] != "admins" || got[1] != "app" {
		t.Errorf("order %q: want the newest first", got)
	}
	link, _ := page.Find(`#results tbody a:contains("admins")`).Attr("href")
	if !strings.HasPrefix(link, "/activity/") {
		t.Errorf("entity link %q", link)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(alice, store.GlobalNamespaceID, "Team")
	f.route(alice, newRoute(team.ID, "one", "https://a.internal"))
	f.route(alice, newRoute(team.ID, "two", "https://a.internal"))
	f.route(bob, newRoute(store.GlobalNamespaceID, "three", "https://a.internal"))
	f.policy(bob, team.ID, "p")
	b := f.e.Recovery("")
	hour := func(d time.Duration) string { return time.Now().UTC().Add(d).Format("2006-01-02T15:04:05") }

	for _, tc := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"entity type", url.Values{"entity_type": {"route"}}, []string{"three", "two", "one"}},
		{"subject", url.Values{"subject": {"bob@example.com"}}, []string{"p", "three"}},
		{"subject and type", url.Values{"subject": {"bob@example.com"}, "entity_type": {"policy"}}, []string{"p"}},
		{"namespace alone", url.Values{"namespace": {team.ID}}, []string{"p", "two", "one"}},
		{"namespace and below", url.Values{"namespace": {store.GlobalNamespaceID}, "below": {"1"}, "subject": {"alice@example.com"}}, []string{"two", "one", "Team"}},
		{"search", url.Values{"q": {"thr"}}, []string{"three"}},
		{"action", url.Values{"action": {"delete"}}, nil},
		{"time range", url.Values{"since": {hour(-time.Hour)}, "until": {hour(time.Hour)}, "entity_type": {"policy"}}, []string{"p"}},
		{"since later", url.Values{"since": {hour(time.Hour)}}, nil},
		{"until earlier", url.Values{"until": {hour(-time.Hour)}}, nil},
	} {
		page := b.Get("/activity?" + tc.query.Encode())
		if page.Status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tc.name, page.Status, page.Text())
		}
		if got := rows(page); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	// The pager keeps the filters in its links.
	page := b.Get("/activity?entity_type=route&subject=alice%40example.com&limit=1")
	if got := rows(page); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("first page %q", got)
	}
	next, ok := page.Find(`nav.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatalf("no next page link:\n%s", page.Text())
	}
	u, _ := url.Parse(next)
	if q := u.Query(); q.Get("entity_type") != "route" || q.Get("subject") != "alice@example.com" || q.Get("offset") != "1" {
		t.Fatalf("next page link %q loses the filters", next)
	}
	if got := rows(b.Get(next)); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("second page %q", got)
	}
	// The export links keep them too.
	csv, _ := page.Find(`a[href^="/activity/export?"]`).First().Attr("href")
	if !strings.Contains(csv, "entity_type=route") || !strings.Contains(csv, "subject=alice%40example.com") {
		t.Errorf("export link %q loses the filters", csv)
	}
}

func TestListRefusesInvalidFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	for _, tc := range []struct{ query, errID, want string }{
		{"entity_id=no%09pe", "#f-entity-error", "UUID"},
		{"action=publish", "#f-action-error", "actions offered"},
		{"since=yesterday", "#f-since-error", "date and time"},
		{"since=2025-01-02T00:00&until=2025-01-01T00:00", "#f-until-error", "after"},
		{"entity_type=widget", "#f-type-error", "kind"},
	} {
		page := b.Get("/activity?" + tc.query)
		if page.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.query, page.Status)
		}
		if got := page.Find(tc.errID).Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: error next to the field %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestDatabrokerEntities: sign-outs and impersonations, which change a
// cluster's databroker and no object, are listed, filtered and shown.
func TestDatabrokerEntities(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	actor := store.Actor{Subject: "admin@example.com", Origin: store.OriginUI}
	for _, n := range []store.Note{
		{Action: store.ActionSignOut, EntityType: store.EntitySession, EntityID: "idp-jti-1", EntityName: "bob@example.com: 1 session",
			NamespaceID: store.GlobalNamespaceID, Snapshot: `{"sessions": ["idp-jti-1"]}`},
		{Action: store.ActionImpersonate, EntityType: store.EntitySession, EntityID: "idp-jti-2", EntityName: "as carol@example.com",
			NamespaceID: store.GlobalNamespaceID},
	} {
		if err := f.st.Note(t.Context(), actor, n); err != nil {
			t.Fatal(err)
		}
	}
	b := f.e.Recovery("")
	page := b.Get("/activity?entity_type=session&action=sign_out")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	rows := page.Find("#activity tbody tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "sign out") || !strings.Contains(rows.Text(), "bob@example.com") {
		t.Fatalf("rows: %q", rows.Text())
	}
	byID := b.Get("/activity?entity_id=idp-jti-2")
	if got := byID.Find("#activity tbody tr"); got.Length() != 1 || !strings.Contains(got.Text(), "impersonate") {
		t.Fatalf("by session id: %d %q", byID.Status, got.Text())
	}
}

package namespaces_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/store"
)

const global = store.GlobalNamespaceID

func TestTreeNestsNamespacesAndLinksEach(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	web := mkns(t, e.Store, team, "web")
	other := mkns(t, e.Store, global, "other")

	page := e.Recovery("").Get("/namespaces")
	wantStatus(t, page, http.StatusOK)
	roots := page.Find("ul.tree.root > li")
	if roots.Length() != 1 || roots.ChildrenFiltered("a").Text() != "Global" {
		t.Fatalf("tree roots: %q", roots.Text())
	}
	// team's item holds a nested list with its two children, in name order.
	teamItem := page.Find(`a[href="/namespaces/` + team + `"]`).Parent()
	var kids []string
	for _, id := range []string{app, web} {
		a := teamItem.ChildrenFiltered("ul.tree").ChildrenFiltered("li").ChildrenFiltered(`a[href="/namespaces/` + id + `"]`)
		if a.Length() != 1 {
			t.Fatalf("namespace %s is not nested under team:\n%s", id, page.Text())
		}
		kids = append(kids, a.Text())
	}
	if strings.Join(kids, ",") != "app,web" {
		t.Errorf("children of team: %v", kids)
	}
	if page.Find(`ul.tree.root > li > ul.tree > li > a[href="/namespaces/`+other+`"]`).Length() != 1 {
		t.Errorf("other is not a child of Global in the tree:\n%s", page.Text())
	}
}

func TestTreeOfAViewerGrantedBelowGlobalStartsThere(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	other := mkns(t, e.Store, global, "other")
	e.Grant(store.RoleViewer, team, store.SubjectUser, "vera@example.com")

	page := e.User("vera@example.com").Get("/namespaces")
	wantStatus(t, page, http.StatusOK)
	root := page.Find("ul.tree.root > li > a")
	if root.Length() != 1 || root.Text() != "Global / team" {
		t.Fatalf("tree root %q, want the path of team", root.Text())
	}
	if page.Find(`a[href="/namespaces/`+app+`"]`).Length() != 1 {
		t.Errorf("app, below team, is missing")
	}
	for _, hidden := range []string{global, other} {
		if page.Find(`a[href="/namespaces/`+hidden+`"]`).Length() != 0 {
			t.Errorf("namespace %s shown to a viewer of team only", hidden)
		}
	}
}

func TestFilterShowsMatchesWithPathsAndKeepsTheFilterInPageLinks(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	for i := range 3 {
		mkns(t, e.Store, team, fmt.Sprintf("app-%d", i))
	}
	mkns(t, e.Store, global, "web")
	b := admin(e)

	page := b.Get("/namespaces?q=APP")
	wantStatus(t, page, http.StatusOK)
	if v, _ := page.Find("input#q").Attr("value"); v != "APP" {
		t.Errorf("filter field holds %q, want the filter", v)
	}
	var got []string
	page.Find("ul.matches li a").Each(func(_ int, a *goquery.Selection) { got = append(got, a.Text()) })
	want := "Global / team / app-0,Global / team / app-1,Global / team / app-2"
	if strings.Join(got, ",") != want {
		t.Fatalf("matches %q, want %q", got, want)
	}

	// htmx swaps #results out of the same page.
	if got := b.HTMX(http.MethodGet, "/namespaces?q=app", nil).Find("#results ul.matches li").Length(); got != 3 {
		t.Errorf("htmx filter: %d matches", got)
	}

	page = b.Get("/namespaces?q=app&limit=2")
	if n := page.Find("ul.matches li").Length(); n != 2 {
		t.Fatalf("%d matches on a page of 2", n)
	}
	next, ok := page.Find(`nav.pager a[rel="next"]`).Attr("href")
	if !ok || !strings.Contains(next, "q=app") || !strings.Contains(next, "offset=2") {
		t.Fatalf("next page link %q does not keep the filter", next)
	}
	page = b.Get(next)
	if got := page.Find("ul.matches li a").Text(); got != "Global / team / app-2" {
		t.Errorf("second page shows %q", got)
	}

	page = b.Get("/namespaces?q=nothing-like-this")
	wantStatus(t, page, http.StatusOK)
	if !contains(page, "No namespace you can see") {
		t.Errorf("no explanation of an empty result:\n%s", page.Text())
	}
}

func TestTreePagesKeepContext(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	mkns(t, e.Store, team, "app")
	page := e.Recovery("").Get("/namespaces?limit=2&offset=2")
	wantStatus(t, page, http.StatusOK)
	// Global and team are on the first page: app is a root of this one and
	// shows where it is.
	if got := page.Find("ul.tree.root > li > a").Text(); got != "Global / team / app" {
		t.Errorf("second page of the tree shows %q", got)
	}
}

func TestGroupGrantShowsTheNamespaceToMembersOnly(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	e.Grant(store.RoleViewer, team, store.SubjectGroup, "eng")

	member := e.User("bob@example.com", "eng")
	page := member.Get("/namespaces")
	if page.Find(`a[href="/namespaces/`+team+`"]`).Length() != 1 {
		t.Fatalf("a member of eng does not see team:\n%s", page.Text())
	}
	page = member.Get("/namespaces/" + team)
	wantStatus(t, page, http.StatusOK)
	if got := page.Find("main h1").Text(); got != "Global / team" {
		t.Errorf("title %q", got)
	}

	stranger := e.User("carol@example.com", "sales")
	page = stranger.Get("/namespaces")
	if page.Find(`a[href="/namespaces/`+team+`"]`).Length() != 0 {
		t.Errorf("a non-member sees team")
	}
	wantStatus(t, stranger.Get("/namespaces/"+team), http.StatusNotFound)
}

func TestDetailsShowPathParentChildrenAndCounts(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	for _, n := range []string{"b", "a", "c"} {
		mkns(t, e.Store, team, n)
	}
	b := admin(e)
	page := b.Get("/namespaces/" + team + "?limit=2")
	wantStatus(t, page, http.StatusOK)
	text := page.Find("dl.details").Text()
	for _, want := range []string{"Global / team", team, "Global"} {
		if !strings.Contains(text, want) {
			t.Errorf("details lack %q:\n%s", want, text)
		}
	}
	if page.Find(`dl.details a[href="/namespaces/`+global+`"]`).Length() != 1 {
		t.Errorf("no link to the parent")
	}
	if got := page.Find("ul.children li").Text(); !strings.Contains(got, "a") || !strings.Contains(got, "b") || strings.Contains(got, "c") {
		t.Errorf("first page of 2 children shows %q", got)
	}
	if href, _ := page.Find(`nav.pager a[rel="next"]`).Attr("href"); href != "/namespaces/"+team+"?limit=2&offset=2" {
		t.Errorf("next page of children links %q", href)
	}
	if page.Find(`a[aria-current="true"]`).Text() != "General" {
		t.Errorf("the General tab is not marked current")
	}
	wantStatus(t, b.Get("/namespaces/not-a-uuid"), http.StatusBadRequest)
	wantStatus(t, b.Get("/namespaces/"+"00000000-0000-4000-8000-000000000000"), http.StatusNotFound)
}

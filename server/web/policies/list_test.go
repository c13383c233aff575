package policies_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func names(t *testing.T, page *webtest.Response) []string {
	t.Helper()
	var out []string
	page.Find("#results tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

func TestListFiltersAndPaginates(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := namespace(t, st, global, "team")
	var ids []string
	for _, n := range []string{"alpha", "beta", "gamma"} {
		ids = append(ids, policy(t, st, global, n, n == "gamma").ID)
	}
	if err := st.SetStatus(t.Context(), []store.ObjectStatus{
		{Kind: store.KindPolicy, ID: ids[0], State: store.SyncSynced},
		{Kind: store.KindPolicy, ID: ids[1], State: store.SyncError, Reason: "broken somehow"},
	}); err != nil {
		t.Fatal(err)
	}
	policy(t, st, team.ID, "team-only", false)
	b := e.User(webtest.Admin)

	page := b.Get("/policies")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := names(t, page); strings.Join(got, ",") != "alpha,beta,gamma" {
		t.Errorf("Global lists %v, want alpha, beta, gamma", got)
	}
	gamma := page.Find("#results tbody tr").Eq(2).Text()
	for _, want := range []string{"enforced", "about gamma", "Global", "API"} {
		if !strings.Contains(gamma, want) {
			t.Errorf("row of gamma lacks %q: %s", want, gamma)
		}
	}
	for i, want := range []string{"optional", "synced"} {
		if !strings.Contains(page.Find("#results tbody tr").Eq(0).Text(), want) {
			t.Errorf("row of alpha lacks %q (%d)", want, i)
		}
	}
	if beta := page.Find("#results tbody tr").Eq(1).Text(); !strings.Contains(beta, "error") || !strings.Contains(beta, "broken somehow") {
		t.Errorf("row of beta lacks its sync error: %s", beta)
	}
	if strings.Contains(gamma, "error") || !strings.Contains(gamma, "unknown") {
		t.Errorf("a policy the reconciler has not reported on shows as %s", gamma)
	}
	if href, _ := page.Find(`a[href^="/policies/new"]`).Attr("href"); href != "/policies/new?namespace="+global {
		t.Errorf("New policy link %q", href)
	}

	if got := names(t, b.Get("/policies?q=ALP")); strings.Join(got, ",") != "alpha" {
		t.Errorf("q=ALP lists %v", got)
	}
	teamPage := b.Get("/policies?namespace=" + team.ID)
	if got := names(t, teamPage); strings.Join(got, ",") != "team-only" {
		t.Errorf("team lists %v", got)
	}
	if sel := teamPage.Find(`#f-namespace option[selected]`).AttrOr("value", ""); sel != team.ID {
		t.Errorf("namespace filter shows %q selected, want the team", sel)
	}

	first := b.Get("/policies?limit=2&q=a")
	if got := names(t, first); strings.Join(got, ",") != "alpha,beta" {
		t.Errorf("first page %v", got)
	}
	next, ok := first.Find(`.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatalf("no next link on the first page: %s", first.Find(".pager").Text())
	}
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("q") != "a" || u.Query().Get("offset") != "2" {
		t.Errorf("next link %q loses the filters or the offset", next)
	}
	second := b.Get(next)
	if got := names(t, second); strings.Join(got, ",") != "gamma" {
		t.Errorf("second page %v", got)
	}
	if !strings.Contains(second.Find(".pager").Text(), "3–3 of 3") {
		t.Errorf("pager says %q", second.Find(".pager").Text())
	}

	part := b.HTMX(http.MethodGet, "/policies?q=beta", nil)
	if got := names(t, part); strings.Join(got, ",") != "beta" {
		t.Errorf("htmx filter lists %v", got)
	}
}

func TestListOfANamespaceNotVisible(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := namespace(t, st, global, "team")
	other := namespace(t, st, global, "other")
	policy(t, st, team.ID, "mine", false)
	policy(t, st, other.ID, "theirs", false)
	e.Grant(store.RoleViewer, team.ID, store.SubjectUser, "v@example.com")
	b := e.User("v@example.com")

	page := b.Get("/policies")
	if got := names(t, page); strings.Join(got, ",") != "mine" {
		t.Errorf("a viewer of team lists %v by default, want mine", got)
	}
	if page.Find(`a[href^="/policies/new"]`).Length() != 0 {
		t.Errorf("a viewer sees the New policy link")
	}
	if page.Find(`#f-namespace option[value="`+other.ID+`"]`).Length() != 0 {
		t.Errorf("the namespace filter offers a namespace the viewer cannot see")
	}
	refused := b.Get("/policies?namespace=" + other.ID)
	if refused.Status != http.StatusNotFound || strings.Contains(refused.Source(), "theirs") {
		t.Errorf("listing a namespace the viewer cannot see: status %d", refused.Status)
	}

	nobody := e.User("nobody@example.com").Get("/policies")
	if nobody.Status != http.StatusForbidden || nobody.Find("#page-error").Length() == 0 {
		t.Errorf("a user without roles: status %d, no explanation", nobody.Status)
	}
}

// The filter swaps #results alone through htmx, but a refused list read
// was shown in the layout's page error, outside #results: an htmx filter
// dropped it and showed "No policies" instead.
func TestListRefusalShowsInsideTheResults(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	gone := namespace(t, st, global, "gone")
	if err := store.Delete(t.Context(), st, seeder, store.DeleteOp{Kind: store.KindNamespace, ID: gone.ID}); err != nil {
		t.Fatal(err)
	}
	team := namespace(t, st, global, "team")
	other := namespace(t, st, global, "other")
	e.Grant(store.RoleManager, team.ID, store.SubjectUser, "m@example.com")
	b := e.User("m@example.com")
	for _, c := range []struct {
		namespace string
		status    int
		want      string
	}{
		{"not-an-id", http.StatusBadRequest, "must be the id of a namespace"},
		{gone.ID, http.StatusNotFound, "could not be listed"},
		{other.ID, http.StatusNotFound, "could not be listed"},
	} {
		path := "/policies?namespace=" + c.namespace
		for name, res := range map[string]*webtest.Response{"page": b.Get(path), "htmx": b.HTMX(http.MethodGet, path, nil)} {
			if res.Status != c.status {
				t.Errorf("%s %s: status %d, want %d", name, path, res.Status, c.status)
			}
			msg := res.Find(`#results [role="alert"][data-focus]`).Text()
			if !strings.Contains(msg, "could not be listed") || !strings.Contains(msg, c.want) {
				t.Errorf("%s %s: #results says %q, want %q", name, path, msg, c.want)
			}
			if strings.Contains(res.Find("#results").Text(), "No policies") || res.Find(`#results a[href^="/policies/new"]`).Length() != 0 {
				t.Errorf("%s %s: the refusal reads as an empty list, or offers a new policy there", name, path)
			}
			if res.Find("#page-error").Length() != 0 {
				t.Errorf("%s %s: the refusal is (also) in the page error, outside #results", name, path)
			}
		}
	}
}

// A search of the policies is counted up to ui.CountUpTo matches: past it
// the pager says "more than" and still links the next page.
func TestListSearchCountedUpToABound(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	const n = ui.CountUpTo + 2
	var ops []store.Op
	for i := range n {
		ops = append(ops, &store.PutOp{Object: &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: fmt.Sprintf("bulk-%05d", i)}, PPL: goodPPL}})
	}
	if _, err := st.Apply(t.Context(), seeder, ops...); err != nil {
		t.Fatal(err)
	}
	b := e.User(webtest.Admin)
	page := b.Get("/policies?" + url.Values{"namespace": {global}, "q": {"bulk"}}.Encode())
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := names(t, page); len(got) != 50 || got[0] != "bulk-00000" {
		t.Fatalf("first page %v", got)
	}
	if text := page.Find(".pager").Text(); !strings.Contains(text, fmt.Sprintf("1–50 of more than %d", ui.CountUpTo)) {
		t.Errorf("pager says %q, want 1–50 of more than %d", text, ui.CountUpTo)
	}
	if _, ok := page.Find(`a[rel=next]`).Attr("href"); !ok {
		t.Error("no next link past the bound")
	}
	// A list without a search is counted whole.
	if text := b.Get("/policies?" + url.Values{"namespace": {global}}.Encode()).Find(".pager").Text(); !strings.Contains(text, fmt.Sprintf("1–50 of %d", n)) {
		t.Errorf("without a search the pager says %q, want 1–50 of %d", text, n)
	}
}

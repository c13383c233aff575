package policies_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func routeNames(page *webtest.Response) []string {
	var out []string
	page.Find("#routes-h ~ table tbody tr").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("td").First().Text()))
	})
	return out
}

func TestRoutesUsingThePolicy(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := namespace(t, st, global, "team")
	p := policy(t, st, global, "used", false)
	route(t, st, global, "alpha", p.ID)
	route(t, st, team.ID, "beta", p.ID)
	route(t, st, global, "unrelated")
	b := e.User(webtest.Admin)

	page := b.Get("/policies/" + p.ID + "?tab=routes")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := routeNames(page); !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Errorf("routes tab lists %v, want alpha and beta", got)
	}
	if !strings.Contains(page.Find("#routes-h ~ table").Text(), "Global / team") || page.Find(`a[href^="/routes/"]`).Length() != 2 {
		t.Errorf("routes tab rows lack the namespace path or the links: %s", page.Find("#routes-h ~ table").Text())
	}
	if page.Find(".tabs a[aria-current=true]").Text() != "Routes using it" {
		t.Errorf("current tab %q", page.Find(".tabs a[aria-current=true]").Text())
	}

	first := b.Get("/policies/" + p.ID + "?tab=routes&limit=1")
	if got := routeNames(first); !slices.Equal(got, []string{"alpha"}) {
		t.Errorf("first page %v", got)
	}
	next, ok := first.Find(`.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatalf("no next page")
	}
	if u, _ := url.Parse(next); u.Query().Get("tab") != "routes" {
		t.Errorf("next link %q leaves the tab", next)
	}
	if got := routeNames(b.Get(next)); !slices.Equal(got, []string{"beta"}) {
		t.Errorf("second page %v", got)
	}

	enforced := policy(t, st, global, "everywhere", true)
	if msg := b.Get("/policies/" + enforced.ID + "?tab=routes").Find(".notice").Text(); !strings.Contains(msg, "every route in Global and the namespaces below it") || !strings.Contains(msg, "routes there now: 3") {
		t.Errorf("enforced policy's routes tab says %q", msg)
	}
}

func TestRoutesInNamespacesTheViewerCannotSeeAreNotNamed(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	mine := namespace(t, st, global, "mine")
	theirs := namespace(t, st, global, "theirs")
	p := policy(t, st, mine.ID, "shared", false)
	route(t, st, mine.ID, "visible", p.ID)
	route(t, st, theirs.ID, "secret-route", p.ID)
	e.Grant(store.RoleViewer, mine.ID, store.SubjectUser, "v@example.com")

	b := e.User("v@example.com")
	page := b.Get("/policies/" + p.ID + "?tab=routes")
	text := page.Find("main").Text()
	if !strings.Contains(text, "visible") || strings.Contains(text, "secret-route") || !strings.Contains(text, "a namespace you cannot view") {
		t.Errorf("routes tab for a viewer of one namespace:\n%s", text)
	}

	// A hidden route has no name to be ordered by: it comes after those the
	// viewer may see, counted in the pages, never named.
	first := b.Get("/policies/" + p.ID + "?tab=routes&limit=1")
	if got := routeNames(first); !slices.Equal(got, []string{"visible"}) {
		t.Errorf("first page %v, want the visible route", got)
	}
	next, ok := first.Find(`.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatalf("no next page: the hidden route is not counted")
	}
	if text := b.Get(next).Find("#routes-h ~ table").Text(); !strings.Contains(text, "a namespace you cannot view") || strings.Contains(text, "secret-route") {
		t.Errorf("second page %q, want the hidden route unnamed", text)
	}
}

func TestDeleteShowsWhyItIsRefusedAndDetaches(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	p := policy(t, st, global, "doomed", false)
	r := route(t, st, global, "user-of-it", p.ID)
	b := e.User(webtest.Admin)
	if b.Get("/policies/"+p.ID).Find(`form[action$="/delete"][data-confirm]`).Length() != 1 {
		t.Fatalf("no confirmed delete form")
	}

	res := b.Post("/policies/"+p.ID+"/delete", url.Values{})
	if res.Status != http.StatusConflict || !strings.Contains(res.Find("#page-error").Text(), "is used by 1 route") {
		t.Fatalf("delete of a used policy: status %d, error %q", res.Status, res.Find("#page-error").Text())
	}
	getPolicy(t, st, p.ID)

	res = b.Post("/policies/"+p.ID+"/delete", url.Values{"detach": {"on"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/policies?namespace="+global {
		t.Fatalf("delete with detach: status %d to %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	if _, err := store.Get[*store.Policy](t.Context(), st, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("policy still readable after delete: %v", err)
	}
	if got, err := store.Get[*store.Route](t.Context(), st, r.ID); err != nil || len(got.Spec.GetPolicyIds()) != 0 {
		t.Errorf("route after detach: %v %v", got.Spec.GetPolicyIds(), err)
	}
	if !strings.Contains(b.Follow(res).Find(".notice").Text(), "deleted") {
		t.Errorf("no notice after delete")
	}
}

// Past a thousand routes the tab pages through the store's index of
// references in id order, reading and counting no more than a page needs;
// the routes of namespaces the viewer cannot see keep their places unnamed.
func TestRoutesOfAPolicyManyRoutesUsePageInIDOrder(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	mine := namespace(t, st, global, "mine")
	theirs := namespace(t, st, global, "theirs")
	p := policy(t, st, mine.ID, "popular", false)
	const n = 1003
	var ops []store.Op
	for i := range n {
		ns := mine.ID
		if i%10 == 0 {
			ns = theirs.ID
		}
		name := fmt.Sprintf("r%04d", i)
		ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
			Spec: &configpb.Route{From: "https://" + name + ".example.com", To: []string{"https://upstream.internal.example"}, PolicyIds: []string{p.ID}}}})
	}
	written, err := st.Apply(t.Context(), seeder, ops...)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	hidden := map[string]bool{}
	var ids []string
	for _, o := range written {
		m := o.GetObjectMeta()
		names[m.ID], hidden[m.ID] = m.Name, m.NamespaceID == theirs.ID
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	e.Grant(store.RoleViewer, mine.ID, store.SubjectUser, "v@example.com")
	e.Grant(store.RoleViewer, global, store.SubjectUser, "g@example.com")

	for _, c := range []struct {
		viewer        string
		offset, limit int
	}{
		{"v@example.com", 0, 50},
		{"v@example.com", 950, 60},
		{"g@example.com", 400, 100},
	} {
		page := e.User(c.viewer).Get(fmt.Sprintf("/policies/%s?tab=routes&offset=%d&limit=%d", p.ID, c.offset, c.limit))
		if page.Status != http.StatusOK {
			t.Fatalf("status %d: %s", page.Status, page.Text())
		}
		var want []string
		for _, id := range ids[c.offset:min(c.offset+c.limit, n)] {
			if hidden[id] && c.viewer == "v@example.com" {
				want = append(want, "")
			} else {
				want = append(want, names[id])
			}
		}
		var got []string
		page.Find("#routes-h ~ table tbody tr").Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Text(), "a namespace you cannot view") {
				got = append(got, "")
			} else {
				got = append(got, strings.TrimSpace(s.Find("td").First().Text()))
			}
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s at %d: rows %q, want %q", c.viewer, c.offset, got, want)
		}
		wantPager := fmt.Sprintf("%d–%d of %d", c.offset+1, min(c.offset+c.limit, n), n)
		if text := page.Find(".pager span").First().Text(); text != wantPager {
			t.Errorf("%s at %d: pager %q, want %q", c.viewer, c.offset, text, wantPager)
		}
		if _, next := page.Find(`.pager a[rel="next"]`).Attr("href"); next != (c.offset+c.limit < n) {
			t.Errorf("%s at %d: next link %t", c.viewer, c.offset, next)
		}
	}
	// A page past the end (an old link, after routes went) is empty, with
	// a way back.
	past := e.User("g@example.com").Get(fmt.Sprintf("/policies/%s?tab=routes&offset=%d", p.ID, n+500))
	if past.Status != http.StatusOK || routeNames(past) != nil || past.Find(`.pager a[rel="prev"]`).Length() != 1 {
		t.Errorf("a page past the end: status %d, rows %q, %d links back", past.Status, routeNames(past), past.Find(`.pager a[rel="prev"]`).Length())
	}
}

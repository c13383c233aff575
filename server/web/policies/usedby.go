package policies

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// usedBy is the routes tab: the routes whose policy_ids name the policy.
type usedBy struct {
	Routes []routeRow
	Pager  *ui.Pager
	// InScope counts the routes of the namespace and below, which an
	// enforced policy applies to whether they list it or not.
	InScope int
}

// routeRow is a route of the routes tab. A route in a namespace the viewer
// cannot see is counted but not named.
type routeRow struct {
	ID, Name, From, Path string
	Hidden               bool
}

// byNameUpTo is how many referencing routes are sorted by name across
// pages; beyond it the page is cut from the id-ordered index, so that a
// page reads only the routes it shows.
const byNameUpTo = 1000

// usedBy reads one page of the routes that use a policy. The store indexes
// references, so finding them does not scan the routes, and a policy that
// a million routes use counts them no further than the pager needs.
func (s *screen) usedBy(r *http.Request, pol *manage.Policy) (*usedBy, error) {
	ctx, v := r.Context(), ui.ViewerFrom(r.Context())
	c := v.Caller()
	u := &usedBy{Pager: ui.PagerFor(r.URL)}
	few, err := s.d.App.RoutesUsing(ctx, c, pol.ID, store.PageQuery{Limit: byNameUpTo, CountUpTo: byNameUpTo})
	if err != nil {
		return nil, err
	}
	if pol.Enforced {
		all, err := manage.Objects[*store.Route](ctx, s.d.App, c, manage.ObjectQuery{
			ListQuery: manage.ListQuery{Namespace: pol.NamespaceID, Limit: 1}, Recursive: true,
		})
		if err != nil {
			return nil, fmt.Errorf("count the routes below namespace %s: %w", pol.NamespaceID, err)
		}
		u.InScope = all.Total
	}
	if !few.More {
		u.Pager.Total = few.TotalCount
		if u.Pager.Offset >= len(few.IDs) {
			return u, nil
		}
		u.Routes, err = s.namePage(r, u.Pager, few.IDs)
		return u, err
	}
	page, err := s.d.App.RoutesUsing(ctx, c, pol.ID, store.PageQuery{Offset: u.Pager.Offset, Limit: u.Pager.Limit, CountUpTo: ui.CountUpTo})
	if err != nil {
		return nil, err
	}
	u.Pager.Total, u.Pager.More = page.TotalCount, page.More
	if len(page.IDs) == 0 {
		return u, nil // a page past the end
	}
	u.Routes, err = s.indexPage(r, page.IDs)
	return u, err
}

// namePage is a page of the routes of ids by name: those the viewer may see
// first, then those it may not, which have no name to order them by.
func (s *screen) namePage(r *http.Request, p *ui.Pager, ids []string) ([]routeRow, error) {
	v := ui.ViewerFrom(r.Context())
	seen, err := manage.Objects[*store.Route](r.Context(), s.d.App, v.Caller(), manage.ObjectQuery{
		ListQuery: manage.ListQuery{Offset: p.Offset, Limit: p.Limit}, IDs: ids,
	})
	if err != nil {
		return nil, err
	}
	out := make([]routeRow, 0, p.Limit)
	for _, rt := range seen.Items {
		out = append(out, shownRow(v, rt))
	}
	hidden := min(p.Offset+p.Limit, len(ids)) - max(p.Offset, seen.Total)
	for range max(hidden, 0) {
		out = append(out, routeRow{Hidden: true})
	}
	return out, nil
}

// indexPage is the page of the routes of ids, in the order of ids, with
// those the viewer may not see in their places.
func (s *screen) indexPage(r *http.Request, ids []string) ([]routeRow, error) {
	v := ui.ViewerFrom(r.Context())
	seen, err := manage.Objects[*store.Route](r.Context(), s.d.App, v.Caller(), manage.ObjectQuery{IDs: ids})
	if err != nil {
		return nil, err
	}
	out := make([]routeRow, len(ids))
	for i := range out {
		out[i].Hidden = true
	}
	for _, rt := range seen.Items {
		if i := slices.Index(ids, rt.ID); i >= 0 {
			out[i] = shownRow(v, rt)
		}
	}
	return out, nil
}

func shownRow(v *ui.Viewer, rt *store.Route) routeRow {
	return routeRow{ID: rt.ID, Name: rt.Name, From: rt.Spec.GetFrom(), Path: v.NamespacePath(rt.NamespaceID)}
}

// remove deletes a policy, with its references from routes when asked;
// the use case refuses while routes use it otherwise, and its message says
// which.
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	pol, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	v := ui.ViewerFrom(r.Context())
	d := existingData(v, pol)
	d.Builder = builderFor(pol.PPL)
	p := ui.Page{Title: "Policy " + pol.Name, Nav: ui.NavPolicies, Data: d}
	if d.ReadOnly != "" {
		p.Error = d.ReadOnly
		s.t.Render(w, r, http.StatusForbidden, editPage, p)
		return
	}
	if err := ui.ParseForm(w, r); err != nil {
		p.Error = err.Error()
		s.t.Render(w, r, http.StatusBadRequest, editPage, p)
		return
	}
	if err := s.d.App.DeletePolicy(r.Context(), v.Caller(), pol.ID, r.PostForm.Get("detach") == "on"); err != nil {
		p.Error = "Not deleted: " + ui.Message(err)
		s.t.Render(w, r, ui.Status(err), editPage, p)
		return
	}
	ui.Redirect(w, r, "/policies?namespace="+url.QueryEscape(pol.NamespaceID), fmt.Sprintf("Policy %q deleted.", pol.Name))
}

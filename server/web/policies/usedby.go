package policies

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
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
// pages; beyond it the page is cut from the id-ordered index, since the
// store's id filter takes one query parameter per id.
const byNameUpTo = 1000

// usedBy reads one page of the routes that use a policy. The store indexes
// references (object_refs), so finding them does not scan the routes; only
// the page shown is loaded.
func (s *screen) usedBy(r *http.Request, pol *pb.Policy) (*usedBy, error) {
	ctx, v := r.Context(), ui.ViewerFrom(r.Context())
	u := &usedBy{Pager: ui.PagerFor(r.URL)}
	ids, err := s.d.Store.ReferencingRoutes(ctx, pol.GetId())
	if err != nil {
		return nil, fmt.Errorf("read routes using policy %s: %w", pol.GetId(), err)
	}
	u.Pager.Total = len(ids)
	if pol.GetEnforced() {
		all, err := s.d.Store.List(ctx, store.KindRoute, store.ListQuery{NamespaceID: pol.GetNamespaceId(), Recursive: true, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("count routes below namespace %s: %w", pol.GetNamespaceId(), err)
		}
		u.InScope = all.TotalCount
	}
	if u.Pager.Offset >= len(ids) {
		return u, nil
	}
	q := store.ListQuery{IDs: ids, Offset: u.Pager.Offset, Limit: u.Pager.Limit}
	var order []string
	if len(ids) > byNameUpTo {
		order = ids[u.Pager.Offset:min(u.Pager.Offset+u.Pager.Limit, len(ids))]
		q = store.ListQuery{IDs: order}
	}
	got, err := s.d.Store.List(ctx, store.KindRoute, q)
	if err != nil {
		return nil, fmt.Errorf("read routes using policy %s: %w", pol.GetId(), err)
	}
	routes := make([]*store.Route, 0, len(got.Objects))
	for _, o := range got.Objects {
		if rt, ok := o.(*store.Route); ok {
			routes = append(routes, rt)
		}
	}
	if order != nil {
		// Keep the index's order, the one the pages are cut in.
		slices.SortFunc(routes, func(a, b *store.Route) int { return slices.Index(order, a.ID) - slices.Index(order, b.ID) })
	}
	for _, rt := range routes {
		row := routeRow{ID: rt.ID, Hidden: !v.Can(rt.NamespaceID, string(store.RoleViewer))}
		if !row.Hidden {
			row.Name, row.From, row.Path = rt.Name, rt.Spec.GetFrom(), v.NamespacePath(rt.NamespaceID)
		}
		u.Routes = append(u.Routes, row)
	}
	return u, nil
}

// remove deletes a policy, with its references from routes when asked;
// the service refuses while routes use it otherwise, and its message says
// which.
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	pol, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	v := ui.ViewerFrom(r.Context())
	d := existingData(v, pol)
	d.Builder = builderFor(pol.GetPpl())
	p := ui.Page{Title: "Policy " + pol.GetName(), Nav: ui.NavPolicies, Data: d}
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
	_, err = s.d.Services.Policies.DeletePolicy(r.Context(), connect.NewRequest(&pb.DeletePolicyRequest{
		Id: pol.GetId(), RemoveFromAnyAssignedRoutes: r.PostForm.Get("detach") == "on",
	}))
	if err != nil {
		p.Error = "Not deleted: " + ui.Message(err)
		s.t.Render(w, r, ui.Status(err), editPage, p)
		return
	}
	ui.Redirect(w, r, "/policies?namespace="+url.QueryEscape(pol.GetNamespaceId()), fmt.Sprintf("Policy %q deleted.", pol.GetName()))
}

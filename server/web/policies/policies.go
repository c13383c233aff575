package policies

import (
	"embed"
	"net/http"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

//go:embed *.html
var pages embed.FS

const (
	listPage = "list.html"
	editPage = "edit.html"
)

// Register mounts the policies screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, nil, listPage, editPage)}
	mux.HandleFunc("GET /policies", s.list)
	mux.HandleFunc("GET /policies/new", s.newForm)
	mux.HandleFunc("POST /policies/new", s.create)
	mux.HandleFunc("POST /policies/validate", s.validate)
	mux.HandleFunc("GET /policies/{id}", s.show)
	mux.HandleFunc("POST /policies/{id}", s.update)
	mux.HandleFunc("POST /policies/{id}/delete", s.remove)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// policyRow is a policy of the list with its namespace's path.
type policyRow struct {
	*manage.Policy
	Path string
}

type listData struct {
	Namespaces []ui.Namespace
	// Namespace is the namespace listed: policies are listed one namespace
	// at a time.
	Namespace string
	Query     string
	Policies  []policyRow
	Pager     *ui.Pager
	CanCreate bool
	// Refusal says why the list could not be read (a namespace filter the
	// viewer may not see, say). It is shown inside #results, the part a
	// filter swaps through htmx: the layout's page error lies outside it
	// and would never reach the screen.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	q := r.URL.Query()
	d := &listData{Namespaces: v.Namespaces(), Namespace: q.Get("namespace"), Query: q.Get("q"), Pager: ui.PagerFor(r.URL)}
	p := ui.Page{Title: "Policies", Nav: ui.NavPolicies, Data: d}
	if len(d.Namespaces) == 0 {
		p.Error = "You have no role in any namespace, so there are no policies to show."
		s.t.Render(w, r, http.StatusForbidden, listPage, p)
		return
	}
	if d.Namespace == "" {
		// Tree order puts the highest namespace the viewer sees first.
		d.Namespace = d.Namespaces[0].ID
	}
	d.CanCreate = v.May(string(manage.EditPolicies), d.Namespace)
	res, err := s.d.App.ListPolicies(r.Context(), v.Caller(), manage.ListQuery{
		Namespace: d.Namespace, Query: d.Query, Offset: d.Pager.Offset, Limit: d.Pager.Limit, CountUpTo: ui.CountUpTo,
	}, manage.PolicyReads{})
	if err != nil {
		status, refusal := s.t.Refusal(r, err)
		// Keep the filters on screen so the viewer can correct them; the
		// New policy link stays out of a namespace that was refused.
		d.Refusal, d.CanCreate = refusal, false
		s.t.Render(w, r, status, listPage, p)
		return
	}
	d.Pager.Total, d.Pager.More = res.Total, res.More
	for _, pol := range res.Items {
		d.Policies = append(d.Policies, policyRow{Policy: pol, Path: v.NamespacePath(pol.NamespaceID)})
	}
	s.t.Render(w, r, http.StatusOK, listPage, p)
}

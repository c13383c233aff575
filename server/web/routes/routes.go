package routes

import (
	"cmp"
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage   = "list.html"
	importPage = "import.html"
)

// Register mounts the routes list, its bulk actions, export and import.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, nil, listPage, importPage)}
	mux.HandleFunc("GET /routes", s.list)
	mux.HandleFunc("POST /routes/bulk", s.bulk)
	mux.HandleFunc("GET /routes/export", s.export)
	mux.HandleFunc("GET /routes/import", s.importForm)
	mux.HandleFunc("POST /routes/import", s.importPost)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// orders are the sort orders the list offers, as ListRoutes names them.
var orders = []option{
	{"name", "Name (A–Z)"}, {"-name", "Name (Z–A)"},
	{"-modified_at", "Recently modified"}, {"modified_at", "Least recently modified"},
	{"-created_at", "Newest"}, {"created_at", "Oldest"},
}

type option struct{ Value, Label string }

// filters are the list's URL query: the namespace, the search text and the
// order; offset and limit belong to the pager.
type filters struct {
	Namespace, Query, Order string
	values                  url.Values
}

func filtersOf(q url.Values, v *ui.Viewer) filters {
	f := filters{Namespace: q.Get("namespace"), Query: strings.TrimSpace(q.Get("q")), Order: q.Get("order"), values: q}
	if f.Namespace == "" {
		f.Namespace = defaultNamespace(v)
	}
	return f
}

// defaultNamespace is Global, or the first namespace the viewer may see
// when Global is not one of them.
func defaultNamespace(v *ui.Viewer) string {
	if v.May(string(manage.View), store.GlobalNamespaceID) {
		return store.GlobalNamespaceID
	}
	if all := v.Namespaces(); len(all) > 0 {
		return all[0].ID
	}
	return store.GlobalNamespaceID
}

// url is the list with these filters (and the pager's offset and limit
// when keepPage).
func (f filters) url(keepPage bool) string {
	q := url.Values{}
	for _, k := range []string{"namespace", "q", "order", "offset", "limit"} {
		if !keepPage && (k == "offset" || k == "limit") {
			continue
		}
		if v := f.values.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("namespace", f.Namespace)
	return "/routes?" + q.Encode()
}

// exportURL exports what the filters select, in a format.
func (f filters) exportURL(format string) string {
	q := url.Values{"namespace": {f.Namespace}, "format": {format}}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Order != "" {
		q.Set("order", f.Order)
	}
	return "/routes/export?" + q.Encode()
}

// row is one route of the table.
type row struct {
	ID, Name, From string
	To             []string
	Path           string
	// Cluster names the cluster whose databroker the route goes to.
	Cluster  string
	Policies int
	Enforced int
	// Sync is the reconciler's finding as the badge shows it; Origin is
	// where the route came from (and the Kubernetes object it mirrors).
	Sync, Origin *badge
	// ReadOnly: the route mirrors a Kubernetes object; only Kubernetes may
	// change it.
	ReadOnly bool
}

// badge is what the layout's sync and origin badges read.
type badge struct {
	State, Reason     string
	Origin, OriginRef string
}

type listData struct {
	Filters filters
	// Path is the namespace's path, for the table's caption.
	Path       string
	Namespaces []ui.Namespace
	Orders     []option
	Routes     []row
	Pager      *ui.Pager
	// CanManage: the viewer may edit the routes of the namespace shown, so
	// the table has checkboxes and the bulk actions; CanImport: it may
	// import into it.
	CanManage, CanImport bool
	MoveTargets          []ui.Namespace
	NewURL               string
	ExportYAML           string
	ExportJSON           string
	// Selected are the ids checked when a refused bulk action re-renders
	// the page; Failures say, route by route, why it was refused.
	Selected map[string]bool
	Failures []failure
	// Refused says why the service refused the list (the namespace was
	// deleted since the page was shown, say); the page then shows only
	// that inside #results, the part an htmx filter change swaps.
	Refused string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	s.renderList(w, r, http.StatusOK, filtersOf(r.URL.Query(), v), ui.Page{}, nil, nil)
}

// renderList renders the list for f; a refused bulk action passes its
// error, the ids it had selected and the failures per route.
func (s *screen) renderList(w http.ResponseWriter, r *http.Request, status int, f filters, p ui.Page, selected []string, failures []failure) {
	v := ui.ViewerFrom(r.Context())
	pager := ui.PagerFor(&url.URL{Path: "/routes", RawQuery: f.values.Encode()})
	page, err := s.d.App.ListRoutes(r.Context(), v.Caller(), manage.ListQuery{
		Namespace: f.Namespace, Query: f.Query, OrderBy: f.Order, Offset: pager.Offset, Limit: pager.Limit, CountUpTo: ui.CountUpTo,
	})
	if err != nil {
		s.listRefused(w, r, f, pager, err)
		return
	}
	pager.Total, pager.More = page.Total, page.More
	d := listData{
		Filters: f, Path: v.NamespacePath(f.Namespace), Namespaces: v.Namespaces(), Orders: orders, Pager: pager,
		CanManage:   v.May(string(manage.EditRoutes), f.Namespace),
		CanImport:   v.May(string(manage.Import), f.Namespace),
		MoveTargets: managed(v),
		NewURL:      "/routes/new?namespace=" + url.QueryEscape(f.Namespace),
		ExportYAML:  f.exportURL("yaml"), ExportJSON: f.exportURL("json"),
		Selected: map[string]bool{}, Failures: failures,
	}
	for _, id := range selected {
		d.Selected[id] = true
	}
	clusters, err := s.d.App.ClusterNames(r.Context())
	if err != nil {
		s.listRefused(w, r, f, pager, err)
		return
	}
	for _, rt := range page.Items {
		d.Routes = append(d.Routes, rowOf(v, rt, clusters))
	}
	p.Title, p.Nav, p.Data = "Routes", ui.NavRoutes, d
	s.t.Render(w, r, status, listPage, p)
}

// listRefused answers a list the service refused. The error page puts the
// message outside #results, which is all an htmx filter change swaps in:
// the viewer would see the list vanish without a word. So htmx gets the
// list page with the message inside #results; a plain request gets the
// error page. An internal error htmx does not swap, and an expired session
// redirects, so both keep the error page.
func (s *screen) listRefused(w http.ResponseWriter, r *http.Request, f filters, pager *ui.Pager, err error) {
	status := ui.Status(err)
	if !ui.IsHTMX(r) || status == http.StatusInternalServerError || status == http.StatusUnauthorized {
		s.t.Fail(w, r, err)
		return
	}
	v := ui.ViewerFrom(r.Context())
	d := listData{Filters: f, Namespaces: v.Namespaces(), Orders: orders, Pager: pager,
		Refused: "The routes could not be listed: " + ui.Message(err)}
	s.t.Render(w, r, status, listPage, ui.Page{Title: "Routes", Nav: ui.NavRoutes, Data: d})
}

// rowOf is a route as the table shows it; clusters names the clusters by
// id.
func rowOf(v *ui.Viewer, rt *manage.Route, clusters map[string]string) row {
	spec := rt.Spec
	cluster := v.Caller().Cluster(rt.NamespaceID)
	out := row{
		ID: rt.ID, Name: rt.Name, From: spec.GetFrom(), To: destinations(spec),
		Path: v.NamespacePath(rt.NamespaceID), Cluster: cmp.Or(clusters[cluster], cluster),
		Policies: len(spec.GetPolicyIds()), Enforced: len(rt.Enforced),
		Sync:     syncShown(rt),
		ReadOnly: rt.Origin == store.OriginKubernetes,
	}
	if rt.Origin != "" {
		out.Origin = &badge{Origin: string(rt.Origin), OriginRef: rt.OriginRef}
	}
	return out
}

// syncShown is the finding the badge shows. A route the reconciler has not
// looked at yet, or has changed since it did, is pending: the layout's badge
// would call a status without a state an error.
func syncShown(rt *manage.Route) *badge {
	if st := rt.Status; st != nil && st.State != "" && st.ObjectVersion >= rt.Version {
		return &badge{State: string(st.State), Reason: st.Reason}
	}
	return &badge{State: string(store.SyncPending)}
}

// managed lists the namespaces where the viewer may edit routes: where
// routes may be moved to.
func managed(v *ui.Viewer) []ui.Namespace {
	return may(v, manage.EditRoutes)
}

// may lists the namespaces where the viewer may take an action.
func may(v *ui.Viewer, a manage.Action) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if v.May(string(a), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}

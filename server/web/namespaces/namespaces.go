package namespaces

import (
	"embed"
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage        = "list.html"
	namespacePage   = "namespace.html"
	permissionsPage = "permissions.html"
)

// Register mounts the namespaces screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"shared.html"}, listPage, namespacePage, permissionsPage)}
	mux.HandleFunc("GET /namespaces", s.list)
	mux.HandleFunc("GET /namespaces/{id}", s.show)
	mux.HandleFunc("POST /namespaces/{id}/children", s.create)
	mux.HandleFunc("POST /namespaces/{id}/rename", s.rename)
	mux.HandleFunc("POST /namespaces/{id}/move", s.move)
	mux.HandleFunc("POST /namespaces/{id}/delete", s.remove)
	mux.HandleFunc("GET /namespaces/{id}/permissions", s.permissions)
	mux.HandleFunc("POST /namespaces/{id}/permissions", s.grant)
	mux.HandleFunc("POST /namespaces/{id}/permissions/{pid}", s.changeRole)
	mux.HandleFunc("POST /namespaces/{id}/permissions/{pid}/revoke", s.revoke)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// listData is the tree page: the whole tree, a page at a time, or the
// namespaces whose name matches the filter.
type listData struct {
	Query string
	// Tree is the page of the tree when there is no filter.
	Tree []*node
	// Matches are the namespaces matching Query, with their paths.
	Matches []item
	Pager   *ui.Pager
	// Refusal says why the tree could not be read. It is shown inside
	// #results, the part the filter swaps through htmx: the layout's page
	// error lies outside it and would never reach the screen.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := listData{Query: strings.TrimSpace(r.URL.Query().Get("q")), Pager: ui.PagerFor(r.URL)}
	items, err := s.visibleTree(r, v)
	if err != nil {
		status, refusal := s.t.Refusal(r, err)
		d.Refusal = refusal
		s.t.Render(w, r, status, listPage, ui.Page{Title: "Namespaces", Nav: ui.NavNamespaces, Data: d})
		return
	}
	if d.Query != "" {
		items = matching(items, d.Query)
	}
	d.Pager.Total = len(items)
	from, to := window(len(items), d.Pager.Offset, d.Pager.Limit)
	page := items[from:to]
	clusters, err := s.d.App.ClusterNames(r.Context())
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	for i := range page {
		page[i].Path, page[i].Role = v.NamespacePath(page[i].ID), v.Role(page[i].ID)
		page[i].ClusterName = clusterName(v, clusters, page[i].ID)
	}
	if d.Query != "" {
		d.Matches = page
	} else {
		d.Tree = nest(page)
	}
	s.t.Render(w, r, http.StatusOK, listPage, ui.Page{Title: "Namespaces", Nav: ui.NavNamespaces, Data: d})
}

// visibleTree reads the namespaces the viewer can see, in tree order.
func (s *screen) visibleTree(r *http.Request, v *ui.Viewer) ([]item, error) {
	c := v.Caller()
	nss, err := s.d.App.NamespaceTree(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return treeOrder(nss, c.Sees), nil
}

// clusterName is the name of the added cluster a namespace belongs to, ""
// for the default cluster's: what the tree shows beside a cluster's
// namespace, and beside a namespace whose cluster's namespace is not on
// the page.
func clusterName(v *ui.Viewer, names map[string]string, namespaceID string) string {
	id := v.Caller().Cluster(namespaceID)
	if id == store.DefaultClusterID {
		return ""
	}
	if name, ok := names[id]; ok {
		return name
	}
	return id
}

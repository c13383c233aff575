package datasources

import (
	"embed"
	"net/http"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage   = "list.html"
	newPage    = "new.html"
	sourcePage = "source.html"
	deletePage = "delete.html"
)

// Register mounts the data sources screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, listPage, newPage, sourcePage, deletePage)}
	mux.HandleFunc("GET /data-sources", s.list)
	mux.HandleFunc("GET /data-sources/new", s.newForm)
	mux.HandleFunc("POST /data-sources/new", s.create)
	mux.HandleFunc("GET /data-sources/{id}", s.show)
	mux.HandleFunc("POST /data-sources/{id}", s.update)
	mux.HandleFunc("GET /data-sources/{id}/delete", s.confirmDelete)
	mux.HandleFunc("POST /data-sources/{id}/delete", s.remove)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// cluster is a cluster whose data sources the viewer may manage.
type cluster struct {
	ID, Name string
}

// clusters lists the clusters whose data sources the viewer may manage,
// the default one first, then by name.
func (s *screen) clusters(r *http.Request, v *ui.Viewer) ([]cluster, error) {
	names, err := s.d.App.ClusterNames(r.Context())
	if err != nil {
		return nil, err
	}
	var out []cluster
	for _, ns := range v.Namespaces() {
		if v.Caller().Cluster(ns.ID) == ns.ID && v.May(string(manage.ManageDataSources), ns.ID) {
			if name, ok := names[ns.ID]; ok {
				out = append(out, cluster{ID: ns.ID, Name: name})
			}
		}
	}
	slices.SortFunc(out, func(a, b cluster) int {
		switch {
		case a.ID == store.DefaultClusterID:
			return -1
		case b.ID == store.DefaultClusterID:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// row is one data source of the list.
type row struct {
	ID, RecordType, URL string
	Status              status
}

type listData struct {
	Clusters []cluster
	// Cluster is the cluster listed.
	Cluster cluster
	Rows    []row
	// Refusal says why the data sources could not be read.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	page := ui.Page{Title: "Data sources", Nav: ui.NavDataSources}
	d := listData{}
	fail := func(err error) {
		status, refusal := s.t.Refusal(r, err)
		d.Refusal = refusal
		page.Data = d
		s.t.Render(w, r, status, listPage, page)
	}
	all, err := s.clusters(r, v)
	if err != nil {
		fail(err)
		return
	}
	d.Clusters = all
	if len(all) == 0 {
		fail(manage.Refuse(manage.CodePermissionDenied, "", "managing data sources needs the admin role in a cluster's namespace (the Global namespace for the default cluster)"))
		return
	}
	d.Cluster = all[0]
	if id := r.URL.Query().Get("cluster"); id != "" {
		i := slices.IndexFunc(all, func(c cluster) bool { return c.ID == id })
		if i < 0 {
			fail(manage.Refuse(manage.CodeNotFound, "cluster", "no cluster %s whose data sources you may manage", id))
			return
		}
		d.Cluster = all[i]
	}
	list, err := s.d.App.ListDataSources(r.Context(), v.Caller(), d.Cluster.ID)
	if err != nil {
		fail(err)
		return
	}
	for _, ds := range list {
		d.Rows = append(d.Rows, row{ID: ds.ID, RecordType: ds.RecordType, URL: ds.URL, Status: statusOf(ds)})
	}
	page.Data = d
	s.t.Render(w, r, http.StatusOK, listPage, page)
}

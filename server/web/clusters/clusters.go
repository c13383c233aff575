package clusters

import (
	"embed"
	"net/http"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage    = "list.html"
	newPage     = "new.html"
	clusterPage = "cluster.html"
	deletePage  = "delete.html"
)

// Register mounts the clusters screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, listPage, newPage, clusterPage, deletePage)}
	mux.HandleFunc("GET /clusters", s.list)
	mux.HandleFunc("GET /clusters/new", s.newForm)
	mux.HandleFunc("POST /clusters/new", s.create)
	mux.HandleFunc("GET /clusters/{id}", s.show)
	mux.HandleFunc("POST /clusters/{id}", s.update)
	mux.HandleFunc("GET /clusters/{id}/delete", s.confirmDelete)
	mux.HandleFunc("POST /clusters/{id}/delete", s.remove)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// row is one cluster of the list.
type row struct {
	ID, Name, URL string
	// Default: the configured cluster, which is not changed here.
	// Deleting: deleted, its records still being removed.
	Default, Deleting bool
	// NamespacePath is the path of the cluster's namespace ("" once it is
	// deleted).
	NamespacePath string
	Health        ui.ClusterHealth
}

type listData struct {
	Rows []row
	// CanManage: the viewer may add, change and delete clusters.
	CanManage bool
	// Refusal says why the clusters could not be read.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := listData{CanManage: mayManage(v)}
	page := ui.Page{Title: "Clusters", Nav: ui.NavClusters}
	rows, err := s.rows(r, v)
	if err != nil {
		status, refusal := s.t.Refusal(r, err)
		d.Refusal = refusal
		page.Data = d
		s.t.Render(w, r, status, listPage, page)
		return
	}
	d.Rows = rows
	page.Data = d
	s.t.Render(w, r, http.StatusOK, listPage, page)
}

// rows reads the clusters the viewer may see, the default first, then
// those being deleted (which only Global admins are shown).
func (s *screen) rows(r *http.Request, v *ui.Viewer) ([]row, error) {
	ctx, c := r.Context(), v.Caller()
	live, err := s.d.App.ListClusters(ctx, c)
	if err != nil {
		return nil, err
	}
	retiring, err := s.d.App.RetiringClusters(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]row, 0, len(live)+len(retiring))
	for _, cl := range live {
		out = append(out, row{
			ID: cl.ID, Name: cl.Name, URL: cl.DatabrokerServiceURL, Default: cl.Default,
			NamespacePath: v.NamespacePath(cl.ID), Health: ui.HealthOf(cl.Health, false),
		})
	}
	for _, cl := range retiring {
		out = append(out, row{ID: cl.ID, Name: cl.Name, URL: cl.DatabrokerServiceURL, Deleting: true, Health: ui.HealthOf(cl.Health, true)})
	}
	return out, nil
}

// mayManage reports whether the viewer may add, change, test and delete
// clusters: pages hide the controls of what the use cases would refuse.
func mayManage(v *ui.Viewer) bool {
	return v.May(string(manage.ManageClusters), store.GlobalNamespaceID)
}

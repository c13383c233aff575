package clusters

import (
	"fmt"
	"net/http"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// addForm is the form that adds a cluster, empty.
func addForm(v *ui.Viewer) *formData {
	d := &formData{Form: ui.NewForm(), Action: "/clusters/new", Parents: parents(v), CanManage: mayManage(v)}
	d.Form.Values[fieldParent] = store.GlobalNamespaceID
	d.Form.Values[fieldSecret] = ""
	return d
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	d := addForm(ui.ViewerFrom(r.Context()))
	status := http.StatusOK
	if !d.CanManage {
		status = http.StatusForbidden
	}
	s.t.Render(w, r, status, newPage, ui.Page{Title: "Add a cluster", Nav: ui.NavClusters, Data: d})
}

// create adds the cluster the form describes or, for "Test connection",
// only tries to reach its databroker and shows the form again with the
// outcome.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := addForm(v)
	page := ui.Page{Title: "Add a cluster", Nav: ui.NavClusters, Data: d}
	f := d.Form
	cl := readForm(r, f)
	d.SecretDropped = len(cl.SharedSecret) > 0
	if r.PostFormValue("action") == actionTest {
		status, err := s.testCluster(r, d, cl)
		if err != nil {
			s.t.FailDoing(w, r, "test a cluster's connection", err)
			return
		}
		if status != http.StatusOK {
			page.Error = "The connection test failed: see below. Nothing was saved."
		}
		s.t.Render(w, r, status, newPage, page)
		return
	}
	if len(f.Errors) > 0 {
		page.Error = "The cluster was not added: see below."
		s.t.Render(w, r, http.StatusBadRequest, newPage, page)
		return
	}
	added, err := s.d.App.AddCluster(r.Context(), v.Caller(), manage.ClusterInput{Cluster: cl, ParentNamespaceID: f.Get(fieldParent)})
	if err != nil {
		if !formError(err) {
			s.t.FailDoing(w, r, "add a cluster", err)
			return
		}
		refuse(f, err)
		page.Error = "The cluster was not added: see below."
		s.t.Render(w, r, ui.Status(err), newPage, page)
		return
	}
	ui.Redirect(w, r, "/clusters", fmt.Sprintf("Cluster %q added: the console now writes its namespace's routes and settings to its databroker.", added.Name))
}

// parents lists where a new cluster's namespace may go: namespaces of the
// default cluster (clusters do not nest) whose children the viewer may
// edit.
func parents(v *ui.Viewer) []ui.Namespace {
	c := v.Caller()
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if c.Cluster(ns.ID) == store.DefaultClusterID && v.May(string(manage.EditNamespaces), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}

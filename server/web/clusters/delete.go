package clusters

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// deleteData is the page that confirms a cluster's deletion.
type deleteData struct {
	Cluster       *manage.Cluster
	NamespacePath string
	// Contents says what goes with the cluster: "3 namespaces, 120
	// routes, …".
	Contents string
	// Version is the cluster's version the confirmation is for.
	Version   int64
	CanDelete bool
	Form      *ui.Form
}

func (s *screen) confirmDelete(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadDelete(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !d.CanDelete {
		status = http.StatusForbidden
	}
	s.renderDelete(w, r, status, d, "")
}

func (s *screen) renderDelete(w http.ResponseWriter, r *http.Request, status int, d *deleteData, pageErr string) {
	s.t.Render(w, r, status, deletePage, ui.Page{Title: "Delete the cluster " + d.Cluster.Name, Nav: ui.NavClusters, Data: d, Error: pageErr})
}

// loadDelete reads the cluster the path names and what deleting it
// removes. The default cluster cannot be deleted: it is the
// configuration's.
func (s *screen) loadDelete(r *http.Request) (*deleteData, error) {
	v := ui.ViewerFrom(r.Context())
	cl, err := s.d.App.GetCluster(r.Context(), v.Caller(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if cl.Default {
		return nil, manage.Refuse(manage.CodeFailedPrecondition, "", "the default cluster cannot be deleted: it is the one the console's configuration names")
	}
	counts, err := s.d.App.ClusterContents(r.Context(), v.Caller(), cl.ID)
	if err != nil {
		return nil, err
	}
	return &deleteData{
		Cluster: cl, NamespacePath: v.NamespacePath(cl.ID), Contents: contents(counts),
		Version: cl.Version, CanDelete: mayManage(v), Form: ui.NewForm(),
	}, nil
}

// remove deletes the cluster if it is still at the version the
// confirmation showed: what the viewer agreed to remove is what goes.
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadDelete(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d.Form.Values[fieldVersion] = strings.TrimSpace(r.PostFormValue(fieldVersion))
	version, err := expectedVersion(d.Form)
	if err != nil {
		s.renderDelete(w, r, http.StatusBadRequest, d, "Not deleted: "+ui.Message(err))
		return
	}
	c := ui.ViewerFrom(r.Context()).Caller()
	err = s.d.App.DeleteCluster(r.Context(), c, d.Cluster.ID, &version)
	if manage.CodeOf(err) == manage.CodeConflict {
		s.renderDelete(w, r, http.StatusConflict, d, "Not deleted: the cluster changed since you loaded the confirmation. "+
			"The page now shows what deleting it removes now: confirm again to delete it.")
		return
	}
	if err != nil {
		if !formError(err) {
			s.t.FailDoing(w, r, "delete cluster "+d.Cluster.ID, err)
			return
		}
		s.renderDelete(w, r, ui.Status(err), d, "Not deleted: "+ui.Message(err))
		return
	}
	ui.Redirect(w, r, "/clusters", fmt.Sprintf("Cluster %q deleted: the console is removing its records from the cluster's databroker.", d.Cluster.Name))
}

// contentKinds are what a cluster holds, in the order the confirmation
// names them, with their singular and plural names.
var contentKinds = []struct {
	kind          store.Kind
	one, multiple string
}{
	{store.KindNamespace, "namespace", "namespaces"},
	{store.KindRoute, "route", "routes"},
	{store.KindPolicy, "policy", "policies"},
	{store.KindKeyPair, "key pair", "key pairs"},
	{store.KindServiceAccount, "service account", "service accounts"},
}

// contents says how many of each kind a cluster holds: "3 namespaces,
// 120 routes, 4 policies, 2 key pairs, 1 service account".
func contents(counts map[store.Kind]int) string {
	parts := make([]string, 0, len(contentKinds))
	for _, k := range contentKinds {
		n := counts[k.kind]
		name := k.multiple
		if n == 1 {
			name = k.one
		}
		parts = append(parts, strconv.Itoa(n)+" "+name)
	}
	return strings.Join(parts, ", ")
}

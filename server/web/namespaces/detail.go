package namespaces

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// header is what both pages of one namespace show about it.
type header struct {
	NS       *manage.Namespace
	Path     string
	Role     store.Role
	Modified time.Time
	// Global is the root, which is never renamed, moved or deleted here.
	Global bool
	// ReadOnly: the namespace comes from Kubernetes and changes there.
	ReadOnly      bool
	ParentPath    string
	ParentVisible bool
	// ClusterName names the cluster the namespace's objects go to;
	// ClusterVisible: the viewer may open the cluster's page.
	ClusterName    string
	ClusterVisible bool
	// Tab is "general" or "permissions".
	Tab string
}

// loadHeader reads one namespace, which the use cases refuse to a viewer
// who may not see it.
func (s *screen) loadHeader(r *http.Request, id, tab string) (header, error) {
	v := ui.ViewerFrom(r.Context())
	ns, err := s.d.App.GetNamespace(r.Context(), v.Caller(), id)
	if err != nil {
		return header{}, err
	}
	h := header{
		NS: ns, Path: v.NamespacePath(ns.ID), Role: v.Role(ns.ID), Tab: tab, Modified: ns.ModifiedAt,
		Global:   ns.NamespaceID == "",
		ReadOnly: ns.Origin == store.OriginKubernetes,
	}
	if h.ClusterName, err = s.clusterName(r, ns.ClusterID); err != nil {
		return header{}, err
	}
	h.ClusterVisible = v.May(string(manage.View), ns.ClusterID)
	if !h.Global {
		h.ParentPath = v.NamespacePath(ns.NamespaceID)
		h.ParentVisible = v.May(string(manage.View), ns.NamespaceID)
	}
	return h, nil
}

// nsData is the general page of one namespace.
type nsData struct {
	header
	Children []item
	Pager    *ui.Pager
	// CanCreate: the viewer may edit the namespaces below this one.
	CanCreate bool
	// CanEdit: the viewer may edit the namespaces of the parent, which
	// renaming, moving and deleting this namespace take.
	CanEdit bool
	// Targets are where the namespace may move: namespaces whose children
	// the viewer may edit, outside the namespace's own subtree.
	Targets                      []ui.Namespace
	Create, Rename, Move, Delete *ui.Form
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadNamespace(r, r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.renderNamespace(w, r, http.StatusOK, d)
}

func (s *screen) renderNamespace(w http.ResponseWriter, r *http.Request, status int, d *nsData) {
	s.t.Render(w, r, status, namespacePage, ui.Page{Title: d.Path, Nav: ui.NavNamespaces, Data: d})
}

// loadNamespace reads what the general page shows, with its forms filled
// with the current values.
func (s *screen) loadNamespace(r *http.Request, id string) (*nsData, error) {
	h, err := s.loadHeader(r, id, "general")
	if err != nil {
		return nil, err
	}
	v := ui.ViewerFrom(r.Context())
	d := &nsData{
		header: h, Pager: pagerAt(r, "/namespaces/"+id),
		CanCreate: !h.ReadOnly && v.May(string(manage.EditNamespaces), id),
		CanEdit:   !h.Global && !h.ReadOnly && v.May(string(manage.EditNamespaces), h.NS.NamespaceID),
		Create:    ui.NewForm(), Rename: ui.NewForm(), Move: ui.NewForm(), Delete: ui.NewForm(),
	}
	version := strconv.FormatInt(h.NS.Version, 10)
	d.Rename.Values["name"], d.Rename.Values["expected_version"] = h.NS.Name, version
	d.Move.Values["namespace_id"], d.Move.Values["expected_version"] = h.NS.NamespaceID, version
	children, err := s.d.App.ChildNamespaces(r.Context(), v.Caller(), id, false, d.Pager.Offset, d.Pager.Limit)
	if err != nil {
		return nil, err
	}
	d.Pager.Total = children.Total
	for _, ns := range children.Items {
		d.Children = append(d.Children, item{ID: ns.ID, Name: ns.Name, ParentID: ns.NamespaceID, Role: v.Role(ns.ID)})
	}
	if d.CanEdit {
		d.Targets = moveTargets(v, id)
	}
	return d, nil
}

// moveTargets lists the namespaces whose children the viewer may edit that
// are not id or below it: the use cases refuse a cycle anyway, the select
// should not offer one.
func moveTargets(v *ui.Viewer, id string) []ui.Namespace {
	c := v.Caller()
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if !slices.Contains(c.Ancestry(ns.ID), id) && v.May(string(manage.EditNamespaces), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}

// refused shows a refusal of one of the general page's forms: next to the
// form when the viewer can fix it, with the page reloaded around it so
// that it shows the current state; on the error page otherwise.
func (s *screen) refused(w http.ResponseWriter, r *http.Request, id string, err error, show func(d *nsData)) {
	if !formError(err) {
		s.t.Fail(w, r, err)
		return
	}
	d, lerr := s.loadNamespace(r, id)
	if lerr != nil {
		s.t.Fail(w, r, lerr)
		return
	}
	show(d)
	s.renderNamespace(w, r, ui.Status(err), d)
}

// pagerAt is the pager of a list shown at path: a page re-rendered after a
// refused POST keeps its links on the page, not on the form's action.
func pagerAt(r *http.Request, path string) *ui.Pager {
	u := url.URL{Path: path}
	if r.Method == http.MethodGet {
		u.RawQuery = r.URL.RawQuery
	}
	return ui.PagerFor(&u)
}

// clusterName names a cluster, by its id when it has no name (deleted
// since the request began).
func (s *screen) clusterName(r *http.Request, id string) (string, error) {
	names, err := s.d.App.ClusterNames(r.Context())
	if err != nil {
		return "", err
	}
	if name, ok := names[id]; ok {
		return name, nil
	}
	return id, nil
}

package namespaces

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// header is what both pages of one namespace show about it.
type header struct {
	NS       *pb.Namespace
	Path     string
	Role     store.Role
	Modified time.Time
	// Global is the root, which is never renamed, moved or deleted here.
	Global bool
	// ReadOnly: the namespace comes from Kubernetes and changes there.
	ReadOnly      bool
	ParentPath    string
	ParentVisible bool
	// Tab is "general" or "permissions".
	Tab string
}

// loadHeader reads one namespace through the service, which refuses a
// viewer who may not see it.
func (s *screen) loadHeader(r *http.Request, id, tab string) (header, error) {
	res, err := s.d.Services.Namespaces.GetNamespace(r.Context(), connect.NewRequest(&pb.GetNamespaceRequest{Id: id}))
	if err != nil {
		return header{}, err
	}
	ns := res.Msg.GetNamespace()
	v := ui.ViewerFrom(r.Context())
	h := header{
		NS: ns, Path: v.NamespacePath(ns.GetId()), Role: v.Role(ns.GetId()), Tab: tab,
		Global:   ns.GetParentId() == "",
		ReadOnly: ns.GetSyncStatus().GetOrigin() == string(store.OriginKubernetes),
	}
	if t := ns.GetModifiedAt(); t != nil {
		h.Modified = t.AsTime()
	}
	if !h.Global {
		h.ParentPath = v.NamespacePath(ns.GetParentId())
		h.ParentVisible = v.Can(ns.GetParentId(), string(store.RoleViewer))
	}
	return h, nil
}

// nsData is the general page of one namespace.
type nsData struct {
	header
	Children []item
	Pager    *ui.Pager
	// CanCreate: the viewer manages this namespace and so its children.
	CanCreate bool
	// CanEdit: the viewer manages the parent, which renaming, moving and
	// deleting this namespace take.
	CanEdit bool
	// Targets are where the namespace may move: namespaces the viewer
	// manages, outside the namespace's own subtree.
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
		CanCreate: !h.ReadOnly && v.Can(id, string(store.RoleManager)),
		CanEdit:   !h.Global && !h.ReadOnly && v.Can(h.NS.GetParentId(), string(store.RoleManager)),
		Create:    ui.NewForm(), Rename: ui.NewForm(), Move: ui.NewForm(), Delete: ui.NewForm(),
	}
	version := strconv.FormatInt(h.NS.GetVersion(), 10)
	d.Rename.Values["name"], d.Rename.Values["expected_version"] = h.NS.GetName(), version
	d.Move.Values["parent_id"], d.Move.Values["expected_version"] = h.NS.GetParentId(), version
	// The children of a namespace the viewer sees are visible too: roles
	// hold in every namespace below the one they are granted on.
	children, err := s.d.Store.List(r.Context(), store.KindNamespace, store.ListQuery{NamespaceID: id, Offset: d.Pager.Offset, Limit: d.Pager.Limit})
	if err != nil {
		return nil, fmt.Errorf("list children of namespace %s: %w", id, err)
	}
	d.Pager.Total = children.TotalCount
	for _, o := range children.Objects {
		m := o.GetObjectMeta()
		d.Children = append(d.Children, item{ID: m.ID, Name: m.Name, ParentID: m.NamespaceID, Role: v.Role(m.ID)})
	}
	if d.CanEdit {
		if d.Targets, err = s.moveTargets(r, v, id); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// moveTargets lists the namespaces the viewer manages that are not id or
// below it: the store refuses a cycle anyway, the select should not offer
// one.
func (s *screen) moveTargets(r *http.Request, v *ui.Viewer, id string) ([]ui.Namespace, error) {
	below, err := s.d.Store.List(r.Context(), store.KindNamespace, store.ListQuery{NamespaceID: id, Recursive: true})
	if err != nil {
		return nil, fmt.Errorf("list namespaces below %s: %w", id, err)
	}
	excluded := map[string]bool{id: true}
	for _, o := range below.Objects {
		excluded[o.GetObjectMeta().ID] = true
	}
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if !excluded[ns.ID] && rbac.AtLeast(ns.Role, store.RoleManager) {
			out = append(out, ns)
		}
	}
	return out, nil
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

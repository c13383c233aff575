package namespaces

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// inheritedLimit bounds the grants shown per namespace above: the page
// links each namespace for the rest.
const inheritedLimit = 20

// permData is the permissions page of one namespace.
type permData struct {
	header
	Query  string
	Grants []*store.NamespacePermission
	Pager  *ui.Pager
	// CanGrant: the viewer may grant roles here, which changing and
	// revoking take too.
	CanGrant bool
	// Roles are the roles the viewer may grant: none above their own, as
	// the use cases refuse.
	Roles []store.Role
	Grant *ui.Form
	// RowErrors are refusals of a change or revocation, by permission id.
	RowErrors map[string]string
	// Refusal is a refusal whose row this page does not show.
	Refusal   string
	Inherited []inherited
	// Find is a search for people and groups to grant a role to, with
	// what it found: the console's and the namespace's cluster's.
	Find        string
	FoundUsers  []*manage.User
	FoundGroups []manage.Group
	FindError   string
}

// findLimit bounds the people and the groups a search shows.
const findLimit = 20

// inherited are the grants of one namespace above, which hold here too.
type inherited struct {
	ID, Path string
	Grants   []*store.NamespacePermission
	// More counts the grants not shown.
	More int
}

func (s *screen) permissions(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadPermissions(r, r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.renderPermissions(w, r, http.StatusOK, d)
}

func (s *screen) renderPermissions(w http.ResponseWriter, r *http.Request, status int, d *permData) {
	s.t.Render(w, r, status, permissionsPage, ui.Page{Title: d.Path + ": permissions", Nav: ui.NavNamespaces, Data: d, Error: d.Refusal})
}

// loadPermissions reads one page of the namespace's grants and those of
// the namespaces above it that the viewer can see.
func (s *screen) loadPermissions(r *http.Request, id string) (*permData, error) {
	h, err := s.loadHeader(r, id, "permissions")
	if err != nil {
		return nil, err
	}
	v := ui.ViewerFrom(r.Context())
	d := &permData{
		header: h, Pager: pagerAt(r, "/namespaces/"+id+"/permissions"), Grant: ui.NewForm(),
		CanGrant: !h.ReadOnly && v.May(string(manage.GrantRoles), id), RowErrors: map[string]string{},
	}
	d.Roles = v.Caller().Grantable(id)
	d.Grant.Values["subject_type"], d.Grant.Values["role"] = string(store.SubjectUser), string(store.RoleViewer)
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		d.Query = strings.TrimSpace(q.Get("q"))
		if q.Get("subject_type") == string(store.SubjectGroup) {
			d.Grant.Values["subject_type"] = string(store.SubjectGroup)
		}
		d.Grant.Values["subject_id"] = q.Get("subject_id")
		if d.Find = strings.TrimSpace(q.Get("find")); d.Find != "" && d.CanGrant {
			s.find(r, v, id, d)
		}
	}
	page, err := manage.Objects[*store.NamespacePermission](r.Context(), s.d.App, v.Caller(), manage.ObjectQuery{ListQuery: manage.ListQuery{
		Namespace: id, Query: d.Query, OrderBy: "created_at", Offset: d.Pager.Offset, Limit: d.Pager.Limit,
	}})
	if err != nil {
		return nil, err
	}
	d.Pager.Total, d.Grants = page.Total, page.Items
	if d.Inherited, err = s.inherited(r, v, id); err != nil {
		return nil, err
	}
	return d, nil
}

// find looks up the people and groups matching d.Find that the console
// and the cluster of namespace id know. A refusal is shown beside the
// search, not instead of the page.
func (s *screen) find(r *http.Request, v *ui.Viewer, id string, d *permData) {
	c := v.Caller()
	cluster := c.Cluster(id)
	users, err := s.d.App.QueryUsers(r.Context(), c, cluster, d.Find, 0, findLimit)
	if err != nil {
		d.FindError = ui.Message(err)
		return
	}
	groups, err := s.d.App.QueryGroups(r.Context(), c, cluster, d.Find, 0, findLimit)
	if err != nil {
		d.FindError = ui.Message(err)
		return
	}
	d.FoundUsers, d.FoundGroups = users.Items, groups.Items
}

// inherited lists the grants of the namespaces above id that the viewer
// can see, nearest first: those hidden from the viewer stay hidden.
func (s *screen) inherited(r *http.Request, v *ui.Viewer, id string) ([]inherited, error) {
	c := v.Caller()
	var out []inherited
	for _, above := range c.Ancestry(id) {
		if above == id || !c.Sees(above) {
			continue
		}
		page, err := manage.Objects[*store.NamespacePermission](r.Context(), s.d.App, c, manage.ObjectQuery{ListQuery: manage.ListQuery{
			Namespace: above, OrderBy: "created_at", Limit: inheritedLimit,
		}})
		if err != nil {
			return nil, err
		}
		if page.Total > 0 {
			out = append(out, inherited{ID: above, Path: v.NamespacePath(above), Grants: page.Items, More: page.Total - len(page.Items)})
		}
	}
	return out, nil
}

// refusedPermission shows a refusal on the permissions page: with the form
// or row that caused it when the viewer can fix it, on the error page
// otherwise.
func (s *screen) refusedPermission(w http.ResponseWriter, r *http.Request, id string, err error, show func(d *permData)) {
	if !formError(err) {
		s.t.Fail(w, r, err)
		return
	}
	d, lerr := s.loadPermissions(r, id)
	if lerr != nil {
		s.t.Fail(w, r, lerr)
		return
	}
	show(d)
	s.renderPermissions(w, r, ui.Status(err), d)
}

// grant gives a user or group a role on the namespace.
func (s *screen) grant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := readForm(w, r, "subject_type", "subject_id", "role")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	// An identifier with stray white space would never match the caller
	// Pomerium names.
	f.Values["subject_id"] = strings.TrimSpace(f.Get("subject_id"))
	_, err = s.d.App.SetPermission(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.PermissionInput{
		Permission: &store.NamespacePermission{
			ObjectMeta:  store.ObjectMeta{NamespaceID: id},
			SubjectType: store.SubjectType(f.Get("subject_type")), SubjectID: f.Get("subject_id"), Role: store.Role(f.Get("role")),
		},
	})
	if err != nil {
		s.refusedPermission(w, r, id, err, func(d *permData) {
			refuse(f, err)
			d.Grant = f
		})
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id+"/permissions",
		fmt.Sprintf("Granted %s to %s %q.", f.Get("role"), f.Get("subject_type"), f.Get("subject_id")))
}

// existing reads the permission of the URL, which must belong to the
// namespace of the URL.
func (s *screen) existing(r *http.Request, id, pid string) (*manage.Permission, error) {
	p, err := s.d.App.GetPermission(r.Context(), ui.ViewerFrom(r.Context()).Caller(), pid)
	if err != nil {
		return nil, err
	}
	if p.NamespaceID != id {
		return nil, manage.Refuse(manage.CodeNotFound, "", "namespace %s has no permission %s", id, pid)
	}
	return p, nil
}

// changeRole changes the role of one grant, if it is still at the version
// the viewer saw.
func (s *screen) changeRole(w http.ResponseWriter, r *http.Request) {
	id, pid := r.PathValue("id"), r.PathValue("pid")
	f, err := readForm(w, r, "role", "expected_version")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	fail := func(err error) {
		s.refusedPermission(w, r, id, err, func(d *permData) {
			refuse(f, err)
			d.rowError(pid, strings.Join(values(f.Errors), "; "))
		})
	}
	version, err := expectedVersion(f)
	if err != nil {
		fail(err)
		return
	}
	p, err := s.existing(r, id, pid)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	changed := &store.NamespacePermission{
		ObjectMeta:  store.ObjectMeta{ID: pid, NamespaceID: id},
		SubjectType: p.SubjectType, SubjectID: p.SubjectID, Role: store.Role(f.Get("role")),
	}
	_, err = s.d.App.SetPermission(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.PermissionInput{Permission: changed, ExpectedVersion: &version})
	if err != nil {
		fail(err)
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id+"/permissions",
		fmt.Sprintf("%s %q is now %s.", p.SubjectType, p.SubjectID, f.Get("role")))
}

// revoke deletes one grant.
func (s *screen) revoke(w http.ResponseWriter, r *http.Request) {
	id, pid := r.PathValue("id"), r.PathValue("pid")
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	p, err := s.existing(r, id, pid)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeletePermission(r.Context(), ui.ViewerFrom(r.Context()).Caller(), pid); err != nil {
		s.refusedPermission(w, r, id, err, func(d *permData) { d.rowError(pid, ui.Message(err)) })
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id+"/permissions",
		fmt.Sprintf("Revoked %s of %s %q.", p.Role, p.SubjectType, p.SubjectID))
}

// values are the messages of a form's errors, in a stable order.
func values(m map[string]string) []string {
	var out []string
	for _, k := range []string{"", "role", "subject_type", "subject_id"} {
		if v, ok := m[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

// rowError shows a refusal in the row of the permission, or above the page
// when the page does not show that row.
func (d *permData) rowError(pid, msg string) {
	for _, g := range d.Grants {
		if g.ID == pid {
			d.RowErrors[pid] = msg
			return
		}
	}
	d.Refusal = msg
}

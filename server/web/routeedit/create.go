package routeedit

import (
	"fmt"
	"net/http"
	"net/url"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// creator is the new-route page: a chooser of the namespace first, then
// the general tab of the route.
type creator struct {
	*editor
	// Choose: the namespace is not chosen yet.
	Choose bool
}

// newCreator is the new-route page for namespace ns ("": not chosen yet).
func newCreator(v *ui.Viewer, ns string) *creator {
	c := &creator{editor: &editor{
		New: true, Tab: tabGeneral, Form: ui.NewForm(), CanEdit: true,
		NamespaceID: ns, NamespacePath: v.NamespacePath(ns), secrets: map[string]bool{}, retype: map[string]string{},
	}, Choose: ns == ""}
	c.Form.Values = valuesOf(&pb.Route{NamespaceId: ns})
	for _, n := range v.Namespaces() {
		if v.May(string(manage.EditRoutes), n.ID) {
			c.Namespaces = append(c.Namespaces, n)
		}
	}
	return c
}

// hiddenNamespace answers a namespace the viewer may not see as the
// services do, not found, so that the page tells nothing of it (not even
// that it exists). It reports whether it answered.
func (s *screen) hiddenNamespace(w http.ResponseWriter, r *http.Request, ns string) bool {
	err := ui.ViewerFrom(r.Context()).Hidden(ns)
	if err != nil {
		s.t.Fail(w, r, err)
	}
	return err != nil
}

// refuseNamespace refuses a new route whose namespace is missing or not
// one the viewer manages, and reports whether it did.
func (s *screen) refuseNamespace(w http.ResponseWriter, r *http.Request, c *creator) bool {
	v := ui.ViewerFrom(r.Context())
	role := manage.Needs[manage.EditRoutes]
	switch {
	case len(c.Namespaces) == 0:
		c.Choose = true
		s.renderNew(w, r, http.StatusForbidden, c, fmt.Sprintf("Creating a route needs the %s role in a namespace; you have it in none.", role))
	case c.Choose:
		s.renderNew(w, r, http.StatusBadRequest, c, "Choose the namespace of the new route first.")
	case !v.May(string(manage.EditRoutes), c.NamespaceID):
		c.Choose = true
		s.renderNew(w, r, http.StatusForbidden, c, fmt.Sprintf("You may not create routes in namespace %s: that needs the %s role there. Choose another namespace.", c.NamespacePath, role))
	default:
		return false
	}
	return true
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	if s.hiddenNamespace(w, r, ns) {
		return
	}
	c := newCreator(ui.ViewerFrom(r.Context()), ns)
	if c.Choose && len(c.Namespaces) > 0 {
		// Nothing chosen yet is the chooser, not a mistake.
		s.renderNew(w, r, http.StatusOK, c, "")
		return
	}
	if !s.refuseNamespace(w, r, c) {
		s.renderNew(w, r, http.StatusOK, c, "")
	}
}

// create creates a route from the general tab, then sends the viewer on
// to its matchers.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	ns := r.PostForm.Get("namespace_id")
	if s.hiddenNamespace(w, r, ns) {
		return
	}
	c := newCreator(ui.ViewerFrom(r.Context()), ns)
	general, _ := tabByKey(tabGeneral)
	c.keepInput(general, r.PostForm)
	if s.refuseNamespace(w, r, c) {
		return
	}
	p := &post{in: r.PostForm, shown: valuesOf(&pb.Route{}), form: c.Form}
	route := &pb.Route{}
	applyGeneral(p, route)
	if !p.ok() {
		s.renderNew(w, r, http.StatusBadRequest, c, "The route was not created: correct the fields marked below.")
		return
	}
	created, err := s.setRoute(r, route, 0)
	if err != nil {
		status, msg := c.refuse(err)
		s.renderNew(w, r, status, c, msg)
		return
	}
	ui.Redirect(w, r, "/routes/"+url.PathEscape(created.ID)+"?tab="+tabMatchers,
		"Created route "+created.Name+". Set its matchers next, or any other tab.")
}

func (s *screen) renderNew(w http.ResponseWriter, r *http.Request, status int, c *creator, msg string) {
	if !c.Choose {
		if err := s.choices(r.Context(), ui.ViewerFrom(r.Context()), c.editor); err != nil {
			s.t.Fail(w, r, err)
			return
		}
		c.Namespaces = nil // the namespace is chosen: the form carries it
	}
	s.t.Render(w, r, status, newPage, ui.Page{Title: "New route", Nav: ui.NavRoutes, Data: c, Error: msg})
}

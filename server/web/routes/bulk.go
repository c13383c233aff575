package routes

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// failure is why one selected route cannot take a bulk action.
type failure struct {
	ID, Name, Reason string
	// status is the HTTP status the failure alone would answer.
	status int
}

// bulk answers the list's form: delete, move or export the selected
// routes. Delete and move change all the routes or none (the use cases
// write them in one transaction); before asking them, every selected route
// is checked so that a refusal names each route that stands in the way,
// not only the first.
func (s *screen) bulk(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	action := r.PostFormValue("action")
	// First, so that no answer about the selection tells anything of a
	// namespace the viewer may not see.
	if err := v.Hidden(r.PostFormValue("move_to")); action == "move" && err != nil {
		s.t.Fail(w, r, err)
		return
	}
	f := filtersOf(listValues(r.PostForm), v)
	ids := unique(r.PostForm["id"])
	refuse := func(status int, msg string) {
		s.renderList(w, r, status, f, ui.Page{Error: msg}, ids, nil)
	}
	switch {
	case len(ids) == 0:
		refuse(http.StatusBadRequest, "Select at least one route first.")
		return
	case len(ids) > maxSelected:
		refuse(http.StatusBadRequest, fmt.Sprintf("%d routes are selected; at most %d may be changed at once.", len(ids), maxSelected))
		return
	}
	switch action {
	case "export-yaml", "export-json":
		s.exportSelected(w, r, ids, strings.TrimPrefix(action, "export-"))
	case "delete":
		s.bulkDelete(w, r, f, ids)
	case "move":
		s.bulkMove(w, r, f, ids, r.PostFormValue("move_to"))
	default:
		refuse(http.StatusBadRequest, fmt.Sprintf("%q is not an action of the list: choose delete, move or export.", action))
	}
}

// listValues keeps the list's own parameters of a form, so that the page
// rendered or redirected to after a bulk action shows the same list.
func listValues(form url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"namespace", "q", "order", "offset", "limit"} {
		if v := form.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

func (s *screen) bulkDelete(w http.ResponseWriter, r *http.Request, f filters, ids []string) {
	routes, ok := s.preflight(w, r, f, ids, "deleting")
	if !ok {
		return
	}
	if err := s.d.App.DeleteRoutes(r.Context(), ui.ViewerFrom(r.Context()).Caller(), ids); err != nil {
		s.refused(w, r, f, ids, ids, routes, err)
		return
	}
	ui.Redirect(w, r, f.url(true), fmt.Sprintf("Deleted %s: %s.", count(len(ids), "route"), names(ids, routes)))
}

func (s *screen) bulkMove(w http.ResponseWriter, r *http.Request, f filters, ids []string, to string) {
	v := ui.ViewerFrom(r.Context())
	if to == "" {
		s.renderList(w, r, http.StatusBadRequest, f, ui.Page{Error: "Nothing was moved: choose the namespace to move the routes to."}, ids, nil)
		return
	}
	if !v.May(string(manage.EditRoutes), to) {
		s.renderList(w, r, http.StatusForbidden, f, ui.Page{Error: fmt.Sprintf(
			"Nothing was moved: moving routes to %s needs the %s role there.", v.NamespacePath(to), manage.Needs[manage.EditRoutes])}, ids, nil)
		return
	}
	routes, ok := s.preflight(w, r, f, ids, "moving")
	if !ok {
		return
	}
	var moving []string
	for _, id := range ids {
		if routes[id].NamespaceID != to {
			moving = append(moving, id)
		}
	}
	notice := fmt.Sprintf("Moved %s to %s: %s.", count(len(moving), "route"), v.NamespacePath(to), names(moving, routes))
	if len(moving) < len(ids) {
		notice += fmt.Sprintf(" %s already there.", count(len(ids)-len(moving), "route was", "routes were"))
	}
	if len(moving) > 0 {
		if err := s.d.App.MoveRoutes(r.Context(), v.Caller(), moving, to); err != nil {
			// The index of a refusal counts in moving, not in the
			// selection; the selection is what the page keeps checked.
			s.refused(w, r, f, ids, moving, routes, err)
			return
		}
	}
	ui.Redirect(w, r, f.url(true), notice)
}

// preflight reads the selected routes and refuses the action, with the
// list of every route that stands in the way, when one of them is gone,
// is not the viewer's to change or is managed by Kubernetes.
func (s *screen) preflight(w http.ResponseWriter, r *http.Request, f filters, ids []string, verb string) (map[string]*store.Route, bool) {
	v := ui.ViewerFrom(r.Context())
	page, _, err := s.visibleRoutes(r, ids)
	if err != nil {
		s.t.Fail(w, r, err)
		return nil, false
	}
	routes := make(map[string]*store.Route, len(page.Items))
	for _, rt := range page.Items {
		routes[rt.ID] = rt
	}
	var failures []failure
	for _, id := range ids {
		rt, ok := routes[id]
		switch {
		case !ok:
			failures = append(failures, failure{ID: id, Name: "Unknown route", Reason: "not found: it was deleted, or it is not yours to see", status: http.StatusNotFound})
		case !v.May(string(manage.EditRoutes), rt.NamespaceID):
			failures = append(failures, failure{ID: id, Name: rt.Name, status: http.StatusForbidden, Reason: fmt.Sprintf(
				"%s it needs the %s role in %s; you are %s there", verb, manage.Needs[manage.EditRoutes],
				v.NamespacePath(rt.NamespaceID), roleName(v.Role(rt.NamespaceID)))})
		case rt.Origin == store.OriginKubernetes:
			failures = append(failures, failure{ID: id, Name: rt.Name, status: http.StatusConflict, Reason: fmt.Sprintf(
				"it is managed by Kubernetes (%s) and is read-only here: change it in Kubernetes", rt.OriginRef)})
		}
	}
	if len(failures) > 0 {
		s.renderList(w, r, worst(failures), f, ui.Page{}, ids, failures)
		return nil, false
	}
	return routes, true
}

func roleName(r store.Role) string {
	if r == "" {
		return "no role"
	}
	return string(r)
}

// worst is the status of a refusal: forbidden before conflict before not
// found, so that a viewer without the role is told 403 whatever else.
func worst(failures []failure) int {
	status := 0
	rank := map[int]int{http.StatusNotFound: 1, http.StatusConflict: 2, http.StatusForbidden: 3}
	for _, f := range failures {
		if rank[f.status] > rank[status] {
			status = f.status
		}
	}
	return status
}

// refused shows why the use cases refused a bulk action (a route changed
// between the check and the call): against the route the refusal is about
// when it is about one. sent is the list the call took, which the
// refusal's Index counts in; selected is what the page keeps checked.
func (s *screen) refused(w http.ResponseWriter, r *http.Request, f filters, selected, sent []string, routes map[string]*store.Route, err error) {
	status := ui.Status(err)
	if status == http.StatusInternalServerError || status == http.StatusUnauthorized {
		s.t.Fail(w, r, err)
		return
	}
	var re *manage.Error
	if errors.As(err, &re) && re.Index >= 0 && re.Index < len(sent) {
		id := sent[re.Index]
		name := "Unknown route"
		if rt, found := routes[id]; found {
			name = rt.Name
		}
		s.renderList(w, r, status, f, ui.Page{}, selected, []failure{{ID: id, Name: name, Reason: re.Reason}})
		return
	}
	s.renderList(w, r, status, f, ui.Page{Error: "Nothing was changed: " + ui.Message(err)}, selected, nil)
}

// count says "1 route" or "3 routes"; forms gives the singular and plural
// when adding an s will not do.
func count(n int, forms ...string) string {
	one, many := forms[0], forms[0]+"s"
	if len(forms) > 1 {
		many = forms[1]
	}
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// names lists the routes of ids by name, the first ten of them.
func names(ids []string, routes map[string]*store.Route) string {
	const shown = 10
	var out []string
	for i, id := range ids {
		if i == shown {
			out = append(out, fmt.Sprintf("and %d more", len(ids)-shown))
			break
		}
		out = append(out, routes[id].Name)
	}
	return strings.Join(out, ", ")
}

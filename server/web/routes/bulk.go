package routes

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
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
// routes. Delete and move change all the routes or none (the service
// writes them in one transaction); before asking it, every selected route
// is checked so that a refusal names each route that stands in the way,
// not only the first.
func (s *screen) bulk(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, invalid("%v", err))
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
	_, err := s.d.Services.Routes.DeleteRoutes(r.Context(), connect.NewRequest(&pb.DeleteRoutesRequest{Ids: ids}))
	if err != nil {
		s.serviceRefused(w, r, f, ids, ids, routes, "ids", err)
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
	if !v.Can(to, string(store.RoleManager)) {
		s.renderList(w, r, http.StatusForbidden, f, ui.Page{Error: fmt.Sprintf(
			"Nothing was moved: moving routes to %s needs the manager role there.", v.NamespacePath(to))}, ids, nil)
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
		_, err := s.d.Services.Routes.MoveRoutes(r.Context(), connect.NewRequest(&pb.MoveRoutesRequest{RouteIds: moving, NewNamespaceId: to}))
		if err != nil {
			// route_ids[i] of a refusal indexes the request, moving, not
			// the selection; the selection is what the page keeps checked.
			s.serviceRefused(w, r, f, ids, moving, routes, "route_ids", err)
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
	found, _, err := s.visibleRoutes(r, ids)
	if err != nil {
		s.t.Fail(w, r, err)
		return nil, false
	}
	routes := make(map[string]*store.Route, len(found))
	for _, o := range found {
		if rt, ok := o.(*store.Route); ok {
			routes[rt.ID] = rt
		}
	}
	var failures []failure
	for _, id := range ids {
		rt, ok := routes[id]
		switch {
		case !ok:
			failures = append(failures, failure{ID: id, Name: "Unknown route", Reason: "not found: it was deleted, or it is not yours to see", status: http.StatusNotFound})
		case !v.Can(rt.NamespaceID, string(store.RoleManager)):
			failures = append(failures, failure{ID: id, Name: rt.Name, status: http.StatusForbidden, Reason: fmt.Sprintf(
				"%s it needs the manager role in %s; you are %s there", verb, v.NamespacePath(rt.NamespaceID), roleName(v.Role(rt.NamespaceID)))})
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

// indexedField matches the field a service names in a refusal of one
// element of a list, e.g. ids[2].
var indexedField = regexp.MustCompile(`^[a-z_]+\[(\d+)\]$`)

// serviceRefused shows why the service refused a bulk action (a route
// changed between the check and the call): against the route it names when
// it names one. sent is the list of the request, which the refusal's index
// counts in; selected is what the page keeps checked.
func (s *screen) serviceRefused(w http.ResponseWriter, r *http.Request, f filters, selected, sent []string, routes map[string]*store.Route, list string, err error) {
	status := ui.Status(err)
	if status == http.StatusInternalServerError || status == http.StatusUnauthorized {
		s.t.Fail(w, r, err)
		return
	}
	if i, reason, ok := refusedIndex(err, list); ok && i < len(sent) {
		name := "Unknown route"
		if rt, found := routes[sent[i]]; found {
			name = rt.Name
		}
		s.renderList(w, r, status, f, ui.Page{}, selected, []failure{{ID: sent[i], Name: name, Reason: reason}})
		return
	}
	s.renderList(w, r, status, f, ui.Page{Error: "Nothing was changed: " + ui.Message(err)}, selected, nil)
}

// refusedIndex is the element of list that a service's refusal names, as
// in "route_ids[1]: route … not found", and why. The message is read
// rather than ui.FieldOf, which keeps fields for invalid arguments and
// conflicts only: a route of the list that is gone (not found) or no longer
// the viewer's (permission denied) is named just the same.
func refusedIndex(err error, list string) (int, string, bool) {
	head, reason, ok := strings.Cut(ui.Message(err), ": ")
	m := indexedField.FindStringSubmatch(head)
	if !ok || m == nil || !strings.HasPrefix(head, list+"[") {
		return 0, "", false
	}
	i, convErr := strconv.Atoi(m[1])
	return i, reason, convErr == nil
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

package routeedit

import (
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

//go:embed *.html
var pages embed.FS

const (
	routePage = "route.html"
	newPage   = "new.html"
)

// Register mounts the route editor.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"fields.html", "general.html", "tabs.html"}, routePage, newPage)}
	mux.HandleFunc("GET /routes/new", s.newForm)
	mux.HandleFunc("POST /routes/new", s.create)
	mux.HandleFunc("GET /routes/{id}", s.show)
	mux.HandleFunc("POST /routes/{id}", s.update)
	mux.HandleFunc("POST /routes/{id}/delete", s.delete)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// getRoute reads the route of the request's path as the viewer sees it.
func (s *screen) getRoute(r *http.Request) (*manage.Route, error) {
	return s.d.App.GetRoute(r.Context(), ui.ViewerFrom(r.Context()).Caller(), r.PathValue("id"))
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	tabKey := r.URL.Query().Get("tab")
	if tabKey == "" {
		tabKey = tabGeneral
	}
	if _, ok := tabByKey(tabKey); !ok {
		s.t.Fail(w, r, manage.Refuse(manage.CodeNotFound, "tab", "the route editor has no tab %q", tabKey))
		return
	}
	route, err := s.getRoute(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	e := newEditor(ui.ViewerFrom(r.Context()), route, tabKey)
	e.reconcilerFinding()
	s.render(w, r, http.StatusOK, e, "")
}

// update saves one tab: the route as read now, with that tab's fields as
// posted, written only if the route is still at the version the form was
// read at.
func (s *screen) update(w http.ResponseWriter, r *http.Request) {
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	t, ok := tabByKey(r.PostForm.Get("tab"))
	if !ok {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "tab", "%q is not a tab of the route editor", r.PostForm.Get("tab")))
		return
	}
	route, err := s.getRoute(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	e := newEditor(ui.ViewerFrom(r.Context()), route, t.Key)
	shown := valuesOf(e.Route)
	e.keepInput(t, r.PostForm)
	switch {
	case e.Kubernetes:
		s.render(w, r, http.StatusConflict, e, e.Note())
		return
	case !e.CanEdit:
		s.render(w, r, http.StatusForbidden, e, e.Note())
		return
	}
	expected, err := strconv.ParseInt(r.PostForm.Get("expected_version"), 10, 64)
	if err != nil || expected <= 0 {
		s.render(w, r, http.StatusBadRequest, e, "The form lacks the version of the route it was read at: reload the page and edit again.")
		return
	}
	e.Version = expected
	p := &post{in: r.PostForm, shown: shown, form: e.Form}
	edited := proto.CloneOf(e.Route)
	appliers[t.Key](p, edited)
	if !p.ok() {
		s.render(w, r, http.StatusBadRequest, e, "The route was not saved: correct the fields marked below.")
		return
	}
	saved, err := s.setRoute(r, edited, expected)
	if err != nil {
		status, msg := e.refuse(err)
		s.render(w, r, status, e, msg)
		return
	}
	ui.Redirect(w, r, "/routes/"+url.PathEscape(saved.ID)+"?tab="+t.Key,
		fmt.Sprintf("Saved the %s tab of route %s.", strings.ToLower(t.Label), saved.Name))
}

func (s *screen) delete(w http.ResponseWriter, r *http.Request) {
	route, err := s.getRoute(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	v := ui.ViewerFrom(r.Context())
	if err := s.d.App.DeleteRoute(r.Context(), v.Caller(), route.ID); err != nil {
		e := newEditor(v, route, tabGeneral)
		s.render(w, r, ui.Status(err), e, "The route was not deleted: "+ui.Message(err))
		return
	}
	ui.Redirect(w, r, "/routes?namespace="+url.QueryEscape(route.NamespaceID), "Deleted route "+route.Name+".")
}

// render shows the route page, with the choices of its tab.
func (s *screen) render(w http.ResponseWriter, r *http.Request, status int, e *editor, msg string) {
	if err := s.choices(r.Context(), ui.ViewerFrom(r.Context()), e); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, status, routePage, ui.Page{Title: "Route " + e.Route.GetName(), Nav: ui.NavRoutes, Data: e, Error: msg})
}

// keepInput puts the fields of tab t as posted into the form, so that a
// refused form shows what the viewer wrote, not what is stored. Secrets are
// the exception: a refused page must not carry a secret back into the HTML
// (its source, the browser's cache, a proxy's log), so their fields stay
// empty and a note asks to type them again. Their removal boxes come back
// unticked too: after a stale save the stored secret may be one the viewer
// has not seen, and removing it must be a fresh decision.
func (e *editor) keepInput(t tab, in url.Values) {
	for _, name := range t.fields {
		if secret, ok := secretOf(name); ok {
			switch {
			case normalize(in.Get(name)) == "":
			case name == secret:
				e.retype[secret] = "Re-enter the secret: it is not sent back to the browser."
			case e.retype[secret] == "":
				e.retype[secret] = "Tick “Remove the stored value” again to remove it: the refused form did not keep it."
			}
			continue
		}
		e.Form.Values[name] = strings.ReplaceAll(in.Get(name), "\r\n", "\n")
	}
	if t.Key == tabGeneral {
		e.Form.Values["policy_ids"] = strings.Join(in["policy_ids"], "\n")
	}
	if t.Key == tabLB {
		for _, u := range e.Upstreams {
			e.Form.Values[u.Field] = in.Get(u.Field)
		}
	}
}

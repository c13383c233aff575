package sessions

import (
	"cmp"
	"embed"
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/internal/english"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage    = "list.html"
	sessionPage = "session.html"
)

// Register mounts the sessions screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, listPage, sessionPage)}
	mux.HandleFunc("GET /sessions", s.list)
	mux.HandleFunc("GET /sessions/{id}", s.show)
	mux.HandleFunc("POST /sessions/{id}/sign-out", s.signOut)
	mux.HandleFunc("POST /sessions/{id}/impersonate", s.impersonate)
	mux.HandleFunc("POST /impersonation/stop", s.stop)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// Common is what every page of the screen shows.
type Common struct {
	Clusters []ui.ClusterChoice
	// Cluster is the cluster shown ("" for the default one).
	Cluster string
	// CanSignOut and CanImpersonate hide the controls of what the use
	// cases would refuse.
	CanSignOut, CanImpersonate bool
	// SelfID is the viewer's own Pomerium session, which it does not
	// impersonate.
	SelfID string
	// Delay says how long Pomerium may honour a deleted session.
	Delay string
}

type listData struct {
	Common
	Query, User string
	Sessions    []*manage.Session
	Pager       *ui.Pager
	Refusal     string
}

type sessionData struct {
	Common
	Session *manage.Session
	Others  []*manage.Session
}

// common reads the clusters whose sessions the viewer may see, with the
// one the request names selected, and what the viewer may do there.
func (s *screen) common(r *http.Request, v *ui.Viewer) (Common, error) {
	c := Common{Cluster: r.URL.Query().Get("cluster"), SelfID: v.Caller().SessionID, Delay: manage.SignOutNotice}
	if c.Cluster == store.DefaultClusterID {
		c.Cluster = ""
	}
	var err error
	if c.Clusters, err = ui.ClusterChoices(r.Context(), s.d.App, v, manage.SeeSessions, c.Cluster); err != nil {
		return c, err
	}
	ns := c.Cluster
	if ns == "" {
		ns = store.GlobalNamespaceID
	}
	c.CanSignOut = v.May(string(manage.SignOut), ns)
	c.CanImpersonate = v.May(string(manage.Impersonate), store.GlobalNamespaceID) && c.SelfID != ""
	return c, nil
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	q := r.URL.Query()
	d := listData{Query: strings.TrimSpace(q.Get("q")), User: strings.TrimSpace(q.Get("user")), Pager: ui.PagerFor(r.URL)}
	page := ui.Page{Title: "Sessions", Nav: ui.NavSessions, Notice: ui.TakeNotice(w, r)}
	render := func(err error) {
		status := http.StatusOK
		if err != nil {
			status, d.Refusal = s.t.Refusal(r, err)
		}
		page.Data = d
		s.t.Render(w, r, status, listPage, page)
	}
	var err error
	if d.Common, err = s.common(r, v); err != nil {
		render(err)
		return
	}
	res, err := s.d.App.ListSessions(r.Context(), v.Caller(), manage.SessionQuery{
		ClusterID: d.Cluster, Query: d.Query, UserID: d.User, Offset: d.Pager.Offset, Limit: d.Pager.Limit,
	})
	if err != nil {
		render(err)
		return
	}
	d.Sessions, d.Pager.Total = res.Items, res.Total
	render(nil)
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	page := ui.Page{Title: "Session", Nav: ui.NavSessions, Notice: ui.TakeNotice(w, r)}
	d := sessionData{}
	var err error
	if d.Common, err = s.common(r, v); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d.Session, d.Others, err = s.d.App.GetSession(r.Context(), v.Caller(), d.Cluster, r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	page.Title = "Session of " + d.Session.User.Label()
	page.Data = d
	s.t.Render(w, r, http.StatusOK, sessionPage, page)
}

func (s *screen) signOut(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	all := r.PostForm.Get("all") == "true"
	out, err := s.d.App.SignOut(r.Context(), v.Caller(), r.PostForm.Get("cluster"), r.PathValue("id"), all)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	notice := "Signed out 1 session. " + manage.SignOutNotice
	if all {
		notice = "Signed out " + english.Plural(len(out.Sessions), "session") + " of the user"
		if out.Bindings > 0 {
			notice += " and removed " + english.Plural(out.Bindings, "SSH binding")
		}
		notice += ". " + manage.SignOutNotice
	}
	to := ui.Back(r, "/sessions")
	if all || strings.HasPrefix(to, "/sessions/"+r.PathValue("id")) {
		// The session shown is gone: back to the list.
		r.PostForm.Del("back")
		to = ui.Back(r, "/sessions")
	}
	ui.Redirect(w, r, to, notice)
}

func (s *screen) impersonate(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	if err := s.d.App.Impersonate(r.Context(), v.Caller(), r.PostForm.Get("cluster"), r.PathValue("id")); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	ui.Redirect(w, r, ui.Back(r, "/sessions"), "Your Pomerium session now acts as session "+r.PathValue("id")+
		": Pomerium authorizes your requests, and sends them upstream, as its user. It may take Pomerium about a minute to notice.")
}

func (s *screen) stop(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	if err := s.d.App.Impersonate(r.Context(), v.Caller(), r.PostForm.Get("cluster"), ""); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	ui.Redirect(w, r, cmp.Or(ui.LocalPath(r.PostForm.Get("back")), "/"), "You no longer impersonate anyone. It may take Pomerium about a minute to notice.")
}

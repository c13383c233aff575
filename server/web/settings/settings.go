package settings

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

// Register mounts the settings screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, nil, "settings.html")}
	mux.HandleFunc("GET /settings", s.show)
	mux.HandleFunc("POST /settings", s.save)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// tab is a section's link.
type tab struct {
	Key, Title, Href string
	Current          bool
}

type data struct {
	Tabs    []tab
	Section *section
	Inputs  []*input
	// Version is what the form's save expects the settings to be at.
	Version int64
	// CanEdit: the viewer may edit the settings and they do not come from
	// Kubernetes.
	CanEdit bool
	// SeesSecrets: the viewer may read the secrets of the settings (they
	// are cleared for one who may not).
	SeesSecrets bool
	FromKube    bool
	Settings    *manage.Settings
	// Scope is the cluster whose settings these are.
	Scope *scope
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	sec := sectionOf(r.URL.Query().Get("section"))
	if sec == nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeNotFound, "section", "no settings section %q", r.URL.Query().Get("section")))
		return
	}
	cluster := r.URL.Query().Get("cluster")
	cur, err := s.d.App.GetSettings(r.Context(), ui.ViewerFrom(r.Context()).Caller(), cluster)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d, err := s.data(r.Context(), cluster, sec, cur, cur.Version, nil, nil)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, "settings.html", ui.Page{Title: "Settings", Nav: ui.NavSettings, Data: d})
}

// save changes the fields of one section of the settings the viewer loaded
// and writes them back whole, at the version the form was loaded at: the
// use cases replace the settings, so the other sections and the secrets go
// back as they are, and a change saved meanwhile refuses the write instead
// of being lost.
func (s *screen) save(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := ui.ViewerFrom(ctx)
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	form := r.PostForm
	sec := sectionOf(form.Get("section"))
	if sec == nil || form.Get("section") == "" {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "section", "%q is not a section of the settings", form.Get("section")))
		return
	}
	version, err := strconv.ParseInt(form.Get("expected_version"), 10, 64)
	if err != nil || version < 0 {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "expected_version", "reload the page and try again"))
		return
	}
	cluster := form.Get("cluster")
	cur, err := s.d.App.GetSettings(ctx, v.Caller(), cluster)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	sc, err := s.scopeOf(ctx, cluster)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if !v.May(string(manage.EditSettings), sc.ID) {
		// The form is not shown to whom cannot save it: say so, naming
		// where the role is needed, rather than show errors about inputs
		// that are not there. (The use cases refuse the write anyway.)
		s.t.Fail(w, r, manage.Refuse(manage.CodePermissionDenied, "", "only admins of the namespace %s may change the settings of cluster %s", sc.NamespacePath, sc.Name))
		return
	}
	next := proto.CloneOf(cur.Spec)
	errs := apply(next, sec, form)
	if len(errs) == 0 {
		err = s.write(ctx, v.Caller(), sc.ID, cur, next, version)
		if err == nil {
			notice := sec.Title + " settings saved."
			if !sc.Default {
				notice = sec.Title + " settings of cluster " + sc.Name + " saved."
			}
			ui.Redirect(w, r, sc.href(sec.Key), notice)
			return
		}
		if ui.Status(err) != http.StatusBadRequest && ui.Status(err) != http.StatusConflict {
			s.t.Fail(w, r, err)
			return
		}
		errs = refused(err, sec)
	}
	s.refuse(w, r, cluster, sec, cur, version, form, errs, err)
}

// write replaces the settings read as cur with next, if they are still at
// the version the form was loaded at.
func (s *screen) write(ctx context.Context, c *manage.Caller, cluster string, cur *manage.Settings, next *configpb.Settings, version int64) error {
	in := manage.SettingsInput{Cluster: cluster, Spec: next, ExpectedVersion: &version}
	if cur.SecretsHidden {
		// Read without their secrets, the settings written whole would
		// lose them: what this writer cannot express is kept.
		in.Through = withoutSecrets
	}
	_, err := s.d.App.SetSettings(ctx, c, in)
	return err
}

// withoutSecrets is a spec as a writer that cannot read secrets sees it.
func withoutSecrets(spec *configpb.Settings) (*configpb.Settings, error) {
	out := proto.CloneOf(spec)
	store.RedactSecrets(out)
	return out, nil
}

// refuse shows the section again with the values as sent and the errors,
// 409 when the settings changed since the form was loaded.
func (s *screen) refuse(w http.ResponseWriter, r *http.Request, cluster string, sec *section, cur *manage.Settings, version int64, form url.Values, errs map[string]string, err error) {
	status := http.StatusBadRequest
	p := ui.Page{Title: "Settings", Nav: ui.NavSettings, Error: "The settings were not saved: see the errors below."}
	if err != nil && ui.Status(err) == http.StatusConflict {
		status = http.StatusConflict
		p.Error = "The settings were changed by someone else since you loaded this page, so nothing was saved. " +
			"Your values are still below: reload the page to see the current settings, then make your change again."
	}
	if msg := errs[""]; msg != "" {
		p.Error = "The settings were not saved: " + msg
	}
	d, derr := s.data(r.Context(), cluster, sec, cur, version, form, errs)
	if derr != nil {
		s.t.Fail(w, r, derr)
		return
	}
	p.Data = d
	s.t.Render(w, r, status, "settings.html", p)
}

// data is what a section of a cluster's settings shows.
func (s *screen) data(ctx context.Context, cluster string, sec *section, cur *manage.Settings, version int64, form url.Values, errs map[string]string) (*data, error) {
	v := ui.ViewerFrom(ctx)
	sc, err := s.scopeOf(ctx, cluster)
	if err != nil {
		return nil, err
	}
	fromKube := cur.Origin == store.OriginKubernetes
	d := &data{
		Section: sec, Version: version, Settings: cur, FromKube: fromKube, SeesSecrets: !cur.SecretsHidden, Scope: sc,
		CanEdit: v.May(string(manage.EditSettings), sc.ID) && !fromKube,
	}
	for _, t := range sections {
		d.Tabs = append(d.Tabs, tab{Key: t.Key, Title: t.Title, Href: sc.href(t.Key), Current: t == sec})
	}
	var keyPairs []keyPair
	if sec.Key == "tls" {
		if keyPairs, err = s.keyPairs(ctx, sc.namespaceIDs(v)); err != nil {
			return nil, err
		}
	}
	d.Inputs = inputs(sec, cur.Spec, form, errs, keyPairs)
	return d, nil
}

// maxKeyPairs bounds the key pairs the TLS section offers.
const maxKeyPairs = 1000

// keyPairs lists the key pairs of the namespaces the settings may refer
// to: the cluster's and those above it, nearest first.
func (s *screen) keyPairs(ctx context.Context, namespaces []string) ([]keyPair, error) {
	var out []keyPair
	for _, ns := range namespaces {
		page, err := s.d.App.ListKeyPairs(ctx, ui.ViewerFrom(ctx).Caller(), manage.KeyPairQuery{ListQuery: manage.ListQuery{
			Namespace: ns, Limit: maxKeyPairs,
		}})
		if err != nil {
			return nil, err
		}
		for _, kp := range page.Items {
			out = append(out, keyPair{ID: kp.ID, Name: kp.Name})
		}
	}
	return out, nil
}

// apply sets the fields of one section from the form, leaving every other
// field as it is. A blank secret keeps the stored one; its clear box
// removes it. The errors are per field path.
func apply(s *configpb.Settings, sec *section, form url.Values) map[string]string {
	errs := map[string]string{}
	for _, fl := range sec.Fields {
		raw := form.Get(fl.Path)
		switch {
		case fl.Kind == kindKeyPairs:
			setKeyPairs(s, form[fl.Path])
			continue
		case fl.Secret && form.Get("clear_"+fl.Path) != "":
			raw = ""
		case fl.Secret && strings.TrimSpace(raw) == "":
			continue
		}
		if err := fl.set(s, raw); err != nil {
			errs[fl.Path] = err.Error()
		}
	}
	prune(s, sec.Fields)
	return errs
}

// refused places a refusal next to the input of the field it names, or
// of the list or message the field is in (certificate_key_pair_ids[1]), or
// on the whole form.
func refused(err error, sec *section) map[string]string {
	field, reason := ui.FieldOf(err)
	for _, fl := range sec.Fields {
		if field == fl.Path || strings.HasPrefix(field, fl.Path+"[") || strings.HasPrefix(field, fl.Path+".") {
			return map[string]string{fl.Path: reason}
		}
	}
	if ui.Status(err) == http.StatusConflict {
		return map[string]string{}
	}
	return map[string]string{"": ui.Message(err)}
}

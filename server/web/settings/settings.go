package settings

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
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
	// CanEdit: the viewer is admin of Global and the settings do not come
	// from Kubernetes.
	CanEdit bool
	// Admin: the viewer is admin of Global, who reads the secrets.
	Admin    bool
	FromKube bool
	Settings *pb.Settings
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	sec := sectionOf(r.URL.Query().Get("section"))
	if sec == nil {
		s.t.Fail(w, r, connect.NewError(connect.CodeNotFound, fmt.Errorf("no settings section %q", r.URL.Query().Get("section"))))
		return
	}
	cur, err := s.read(r.Context())
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d, err := s.data(r.Context(), sec, cur, cur.GetVersion(), nil, nil)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, "settings.html", ui.Page{Title: "Settings", Nav: ui.NavSettings, Data: d})
}

// save changes the fields of one section of the settings the viewer loaded
// and writes them back whole, at the version the form was loaded at: the
// service replaces the settings, so the other sections and the secrets
// (which admins read) go back as they are, and a change saved meanwhile
// refuses the write instead of being lost.
func (s *screen) save(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, connect.NewError(connect.CodeInvalidArgument, err))
		return
	}
	form := r.PostForm
	sec := sectionOf(form.Get("section"))
	if sec == nil || form.Get("section") == "" {
		s.t.Fail(w, r, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("section: %q is not a section of the settings", form.Get("section"))))
		return
	}
	version, err := strconv.ParseInt(form.Get("expected_version"), 10, 64)
	if err != nil {
		s.t.Fail(w, r, connect.NewError(connect.CodeInvalidArgument, errors.New("expected_version: reload the page and try again")))
		return
	}
	cur, err := s.read(ctx)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	next := proto.CloneOf(cur)
	errs := apply(next, sec, form)
	if len(errs) == 0 {
		_, err = s.d.Services.Settings.SetSettings(ctx, connect.NewRequest(&pb.SetSettingsRequest{Settings: next, ExpectedVersion: &version}))
		if err == nil {
			ui.Redirect(w, r, "/settings?section="+sec.Key, sec.Title+" settings saved.")
			return
		}
		if ui.Status(err) != http.StatusBadRequest && ui.Status(err) != http.StatusConflict {
			s.t.Fail(w, r, err)
			return
		}
		errs = refused(err, sec)
	}
	if !ui.ViewerFrom(ctx).Can(store.GlobalNamespaceID, string(store.RoleAdmin)) {
		// The form is not shown to whom cannot save it: say so rather than
		// show errors about inputs that are not there.
		s.t.Fail(w, r, connect.NewError(connect.CodePermissionDenied, errors.New("only admins of the Global namespace may change the settings")))
		return
	}
	s.refuse(w, r, sec, cur, version, form, errs, err)
}

// refuse shows the section again with the values as sent and the errors,
// 409 when the settings changed since the form was loaded.
func (s *screen) refuse(w http.ResponseWriter, r *http.Request, sec *section, cur *pb.Settings, version int64, form url.Values, errs map[string]string, err error) {
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
	d, derr := s.data(r.Context(), sec, cur, version, form, errs)
	if derr != nil {
		s.t.Fail(w, r, derr)
		return
	}
	p.Data = d
	s.t.Render(w, r, status, "settings.html", p)
}

// read gets the settings as the service shows them to the viewer: with
// their secrets for an admin of Global only.
func (s *screen) read(ctx context.Context) (*pb.Settings, error) {
	res, err := s.d.Services.Settings.GetSettings(ctx, connect.NewRequest(&pb.GetSettingsRequest{}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetSettings(), nil
}

func (s *screen) data(ctx context.Context, sec *section, cur *pb.Settings, version int64, form url.Values, errs map[string]string) (*data, error) {
	v := ui.ViewerFrom(ctx)
	fromKube := cur.GetSyncStatus().GetOrigin() == string(store.OriginKubernetes)
	admin := v.Can(store.GlobalNamespaceID, string(store.RoleAdmin))
	d := &data{Section: sec, Version: version, Settings: cur, FromKube: fromKube, Admin: admin, CanEdit: admin && !fromKube}
	for _, t := range sections {
		d.Tabs = append(d.Tabs, tab{Key: t.Key, Title: t.Title, Href: "/settings?section=" + t.Key, Current: t == sec})
	}
	var keyPairs []keyPair
	if sec.Key == "tls" {
		var err error
		if keyPairs, err = s.keyPairs(ctx); err != nil {
			return nil, err
		}
	}
	d.Inputs = inputs(sec, cur, form, errs, keyPairs)
	return d, nil
}

// maxKeyPairs bounds the key pairs the TLS section offers.
const maxKeyPairs = 1000

// keyPairs lists the key pairs of the Global namespace, which the settings
// may refer to.
func (s *screen) keyPairs(ctx context.Context) ([]keyPair, error) {
	res, err := s.d.Services.KeyChain.ListKeyPairs(ctx, connect.NewRequest(&pb.ListKeyPairsRequest{
		NamespaceId: store.GlobalNamespaceID, Limit: new(int64(maxKeyPairs)),
	}))
	if err != nil {
		return nil, err
	}
	out := make([]keyPair, len(res.Msg.GetKeyPairs()))
	for i, kp := range res.Msg.GetKeyPairs() {
		out[i] = keyPair{ID: kp.GetId(), Name: kp.GetName()}
	}
	return out, nil
}

// apply sets the fields of one section from the form, leaving every other
// field as it is. A blank secret keeps the stored one; its clear box
// removes it. The errors are per field path.
func apply(s *pb.Settings, sec *section, form url.Values) map[string]string {
	errs := map[string]string{}
	for _, fl := range sec.Fields {
		raw := form.Get(fl.Path)
		switch {
		case fl.Kind == kindKeyPairs:
			setCertificates(s, form[fl.Path])
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

// refused places an error of the service next to the field it names
// ("settings.timeout_read: ..." or "settings.certificates[1]: ..."), or on
// the whole form.
func refused(err error, sec *section) map[string]string {
	field, reason := ui.FieldOf(err)
	if path, ok := strings.CutPrefix(field, "settings."); ok {
		for _, fl := range sec.Fields {
			if path == fl.Path || strings.HasPrefix(path, fl.Path+"[") || strings.HasPrefix(path, fl.Path+".") {
				return map[string]string{fl.Path: reason}
			}
		}
	}
	if ui.Status(err) == http.StatusConflict {
		return map[string]string{}
	}
	return map[string]string{"": ui.Message(err)}
}

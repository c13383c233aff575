package devices

import (
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// deviceType is a device type as the screen shows it.
type deviceType struct{ *manage.DeviceType }

// Attachment says which authenticators the type takes.
func (t deviceType) Attachment() string {
	sel := t.GetWebauthn().GetOptions().GetAuthenticatorSelection()
	if sel.AuthenticatorAttachment == nil {
		return "any"
	}
	return enumLabel(sel.GetAuthenticatorAttachment())
}

// Verification says whether the type asks the user to prove who they are
// to the device (PIN, fingerprint).
func (t deviceType) Verification() string {
	sel := t.GetWebauthn().GetOptions().GetAuthenticatorSelection()
	if sel.UserVerification == nil {
		return "unset"
	}
	return enumLabel(sel.GetUserVerification())
}

// Algorithms names the algorithms the type offers.
func (t deviceType) Algorithms() string {
	var names []string
	for _, p := range t.GetWebauthn().GetOptions().GetPubKeyCredParams() {
		names = append(names, algorithmName(p.GetAlg()))
	}
	return strings.Join(names, ", ")
}

// Deletable: a stored type of the cluster's own. Restorable: a stored
// type that overrides one of Pomerium's, which deleting restores.
func (t deviceType) Deletable() bool  { return t.Stored && !t.BuiltIn }
func (t deviceType) Restorable() bool { return t.Stored && t.BuiltIn }

type typesData struct {
	Common
	Types   []deviceType
	Refusal string
}

func (s *screen) types(w http.ResponseWriter, r *http.Request) {
	d := typesData{}
	c, types, err := s.typesOf(r)
	d.Common = c
	for _, t := range types {
		d.Types = append(d.Types, deviceType{t})
	}
	status := s.refused(r, err, &d.Refusal)
	s.t.Render(w, r, status, typesPage, ui.Page{Title: "Device types", Nav: ui.NavDevices, Notice: ui.TakeNotice(w, r), Data: d})
}

// typeData is the form that adds or changes a device type.
type typeData struct {
	Common
	Form *ui.Form
	// ID is the type changed; empty for a new one. BuiltIn: Pomerium has
	// a type of that id of its own, which saving overrides.
	ID      string
	BuiltIn bool
	Selects []selectField
	Algs    []algorithm
}

// Action is where the form posts.
func (d *typeData) Action() string {
	if d.ID == "" {
		return "/devices/types/new"
	}
	return "/devices/types/" + d.ID
}

// typesOf reads what the pages of one type show: the screen's common part
// and the cluster's types.
func (s *screen) typesOf(r *http.Request) (Common, []*manage.DeviceType, error) {
	v := ui.ViewerFrom(r.Context())
	c, err := s.common(r, v)
	if err != nil {
		return c, nil, err
	}
	types, err := s.d.App.ListDeviceTypes(r.Context(), v.Caller(), c.Cluster)
	return c, types, err
}

// loadType reads the type the path names (none for a new one) into its
// form.
func (s *screen) loadType(r *http.Request) (*typeData, error) {
	d := &typeData{Form: ui.NewForm(), ID: r.PathValue("id")}
	var types []*manage.DeviceType
	var err error
	if d.Common, types, err = s.typesOf(r); err != nil {
		return nil, err
	}
	if d.ID == "" {
		// A new type starts from the options of "any", which every
		// cluster has.
		if i := indexOfType(types, manage.DefaultDeviceTypeID); i >= 0 {
			d.fill(types[i].Type)
		}
		d.Form.Values[fieldID], d.Form.Values[fieldName] = "", ""
		return d, nil
	}
	i := indexOfType(types, d.ID)
	if i < 0 {
		return nil, manage.Refuse(manage.CodeNotFound, "", "device type %s not found", d.ID)
	}
	d.BuiltIn = types[i].BuiltIn
	d.fill(types[i].Type)
	return d, nil
}

func indexOfType(types []*manage.DeviceType, id string) int {
	for i, t := range types {
		if t.GetId() == id {
			return i
		}
	}
	return -1
}

func (s *screen) typeForm(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadType(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.renderType(w, r, mayStatus(d.CanManage), d, "")
}

func (s *screen) renderType(w http.ResponseWriter, r *http.Request, status int, d *typeData, pageErr string) {
	title := "New device type"
	if d.ID != "" {
		title = "Device type " + d.Form.Get(fieldName)
	}
	s.t.Render(w, r, status, typePage, ui.Page{Title: title, Nav: ui.NavDevices, Data: d, Error: pageErr})
}

// saveType writes the type as the form says: a new one under the id typed
// (or a new id), or the one the path names.
func (s *screen) saveType(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d, err := s.loadType(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	t := d.read(r)
	if d.ID == "" && t.GetId() != "" {
		_, types, err := s.typesOf(r)
		if err != nil {
			s.t.Fail(w, r, err)
			return
		}
		if indexOfType(types, t.GetId()) >= 0 {
			d.Form.Errors[fieldID] = "a device type of this id exists: edit it instead"
		}
	}
	if len(d.Form.Errors) == 0 {
		var saved *manage.DeviceType
		if saved, err = s.d.App.SetDeviceType(r.Context(), v.Caller(), d.Cluster, t); err == nil {
			ui.Redirect(w, r, "/devices/types"+query(d.inCluster()), "Device type "+saved.GetName()+" ("+saved.GetId()+") saved.")
			return
		}
		if ui.Status(err) != http.StatusBadRequest {
			s.t.FailDoing(w, r, "save a device type", err)
			return
		}
		d.Form.Refuse(err)
	}
	s.renderType(w, r, http.StatusBadRequest, d, "The device type was not saved: see below.")
}

// query is a query string for a link: "?q" or nothing.
func query(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// typeDeleteData is the page that confirms a type's deletion.
type typeDeleteData struct {
	Common
	Type deviceType
}

func (s *screen) loadTypeDelete(r *http.Request) (*typeDeleteData, error) {
	d := &typeDeleteData{}
	var types []*manage.DeviceType
	var err error
	if d.Common, types, err = s.typesOf(r); err != nil {
		return nil, err
	}
	i := indexOfType(types, r.PathValue("id"))
	if i < 0 {
		return nil, manage.Refuse(manage.CodeNotFound, "", "device type %s not found", r.PathValue("id"))
	}
	d.Type = deviceType{types[i]}
	return d, nil
}

func (s *screen) confirmTypeDelete(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadTypeDelete(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, mayStatus(d.CanManage && d.Type.Stored), typeDeletePage, ui.Page{Title: "Delete the device type " + d.Type.GetName(), Nav: ui.NavDevices, Data: d})
}

func (s *screen) removeType(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d, err := s.loadTypeDelete(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeleteDeviceType(r.Context(), v.Caller(), d.Cluster, d.Type.GetId()); err != nil {
		if ui.Status(err) == http.StatusConflict {
			s.t.Render(w, r, http.StatusConflict, typeDeletePage, ui.Page{Title: "Delete the device type " + d.Type.GetName(), Nav: ui.NavDevices, Data: d,
				Error: "Not deleted: " + ui.Message(err)})
			return
		}
		s.t.FailDoing(w, r, "delete a device type", err)
		return
	}
	notice := "Device type " + d.Type.GetName() + " deleted."
	if d.Type.BuiltIn {
		notice = "Pomerium's own device type " + d.Type.GetId() + " applies again."
	}
	ui.Redirect(w, r, "/devices/types"+query(d.inCluster()), notice)
}

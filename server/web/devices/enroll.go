package devices

import (
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// Inputs of the enrollment form, named as the use cases name them.
const (
	fieldUser     = "user_id"
	fieldType     = "type_id"
	fieldRoute    = "route_url"
	fieldRedirect = "redirect_url"
)

// enrollData is the form that creates an enrollment and, once it did, the
// link to give the user.
type enrollData struct {
	Common
	Form  *ui.Form
	Types []*manage.DeviceType
	// Created is the enrollment made, with its link.
	Created *manage.Enrollment
}

func (s *screen) loadEnroll(r *http.Request) (*enrollData, error) {
	v := ui.ViewerFrom(r.Context())
	d := &enrollData{Form: ui.NewForm()}
	var err error
	if d.Common, err = s.common(r, v); err != nil {
		return nil, err
	}
	if d.Types, err = s.d.App.ListDeviceTypes(r.Context(), v.Caller(), d.Cluster); err != nil {
		return nil, err
	}
	for _, k := range []string{fieldUser, fieldRoute, fieldRedirect} {
		d.Form.Values[k] = strings.TrimSpace(r.FormValue(k))
	}
	d.Form.Values[fieldType] = r.FormValue(fieldType)
	if d.Form.Values[fieldType] == "" {
		d.Form.Values[fieldType] = manage.DefaultDeviceTypeID
	}
	return d, nil
}

func (s *screen) renderEnroll(w http.ResponseWriter, r *http.Request, status int, d *enrollData, pageErr string) {
	s.t.Render(w, r, status, enrollPage, ui.Page{Title: "Enroll a device", Nav: ui.NavDevices, Data: d, Error: pageErr})
}

// enrollForm shows the form, with the user (and type) a link may name.
func (s *screen) enrollForm(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadEnroll(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.renderEnroll(w, r, mayStatus(d.CanManage), d, "")
}

func (s *screen) enroll(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d, err := s.loadEnroll(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	f := d.Form
	d.Created, err = s.d.App.CreateDeviceEnrollment(r.Context(), v.Caller(), d.Cluster, manage.EnrollmentInput{
		UserID: f.Get(fieldUser), TypeID: f.Get(fieldType), RouteURL: f.Get(fieldRoute), RedirectURL: f.Get(fieldRedirect),
	})
	switch {
	case err == nil:
		s.renderEnroll(w, r, http.StatusOK, d, "")
	case ui.Status(err) == http.StatusBadRequest:
		f.Refuse(err)
		s.renderEnroll(w, r, http.StatusBadRequest, d, "No enrollment was created: see below.")
	default:
		s.t.FailDoing(w, r, "create a device enrollment", err)
	}
}

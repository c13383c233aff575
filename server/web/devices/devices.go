package devices

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

const (
	listPage       = "list.html"
	deletePage     = "delete.html"
	typesPage      = "types.html"
	typePage       = "type.html"
	typeDeletePage = "typedelete.html"
	enrollPage     = "enroll.html"
)

// Register mounts the devices screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, listPage, deletePage, typesPage, typePage, typeDeletePage, enrollPage)}
	mux.HandleFunc("GET /devices", s.list)
	mux.HandleFunc("POST /devices/approve", s.approve)
	mux.HandleFunc("GET /devices/delete", s.confirmDelete)
	mux.HandleFunc("POST /devices/delete", s.remove)
	mux.HandleFunc("GET /devices/types", s.types)
	mux.HandleFunc("GET /devices/types/new", s.typeForm)
	mux.HandleFunc("POST /devices/types/new", s.saveType)
	mux.HandleFunc("GET /devices/types/{id}", s.typeForm)
	mux.HandleFunc("POST /devices/types/{id}", s.saveType)
	mux.HandleFunc("GET /devices/types/{id}/delete", s.confirmTypeDelete)
	mux.HandleFunc("POST /devices/types/{id}/delete", s.removeType)
	mux.HandleFunc("GET /devices/enroll", s.enrollForm)
	mux.HandleFunc("POST /devices/enroll", s.enroll)
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
	// CanManage hides the controls of what the use cases would refuse:
	// approving, deleting, device types and enrollments.
	CanManage bool
}

// inCluster is the query that keeps a redirect in the cluster shown: ""
// for the default cluster, else "cluster=<id>".
func (c Common) inCluster() string {
	if c.Cluster == "" {
		return ""
	}
	return "cluster=" + url.QueryEscape(c.Cluster)
}

// common reads the clusters whose devices the viewer may see, with the
// one the request names (in its query or its form) selected. A request
// that names none shows the default cluster, or else the first cluster
// whose devices the viewer may see.
func (s *screen) common(r *http.Request, v *ui.Viewer) (Common, error) {
	c := Common{Cluster: r.FormValue("cluster")}
	named := c.Cluster != ""
	if c.Cluster == store.DefaultClusterID {
		c.Cluster = ""
	}
	var err error
	if c.Clusters, err = ui.ClusterChoices(r.Context(), s.d.App, v, manage.SeeSessions, c.Cluster); err != nil {
		return c, err
	}
	if !named && len(c.Clusters) > 0 && c.Clusters[0].ID != "" {
		c.Cluster, c.Clusters[0].Selected = c.Clusters[0].ID, true
	}
	ns := c.Cluster
	if ns == "" {
		ns = store.GlobalNamespaceID
	}
	c.CanManage = v.May(string(manage.ManageDevices), ns)
	return c, nil
}

// Approval filters of the list.
const (
	approvalAny      = ""
	approvalApproved = "approved"
	approvalPending  = "pending"
)

type listData struct {
	Common
	User, Type, Approval string
	Types                []*manage.DeviceType
	Devices              []device
	Refusal              string
}

// device is a device as the screen shows it.
type device struct{ *manage.Device }

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := listData{User: strings.TrimSpace(q.Get("user")), Type: q.Get("type"), Approval: q.Get("approval")}
	status := s.refused(r, s.readList(r, &d), &d.Refusal)
	s.t.Render(w, r, status, listPage, ui.Page{Title: "Devices", Nav: ui.NavDevices, Notice: ui.TakeNotice(w, r), Data: d})
}

// readList reads the devices the list's filters select, and the types to
// filter by.
func (s *screen) readList(r *http.Request, d *listData) error {
	v := ui.ViewerFrom(r.Context())
	var err error
	if d.Common, err = s.common(r, v); err != nil {
		return err
	}
	f := manage.DeviceFilter{}
	if d.User != "" {
		f.UserID = &d.User
	}
	if d.Type != "" {
		f.TypeID = &d.Type
	}
	if d.Approval == approvalApproved || d.Approval == approvalPending {
		f.Approved = new(d.Approval == approvalApproved)
	}
	if d.Types, err = s.d.App.ListDeviceTypes(r.Context(), v.Caller(), d.Cluster); err != nil {
		return err
	}
	list, err := s.d.App.ListDevices(r.Context(), v.Caller(), d.Cluster, f)
	for _, dev := range list {
		d.Devices = append(d.Devices, device{dev})
	}
	return err
}

// refused is the status of a list page whose read failed with err (200
// when it did not), and sets msg to what the page says of it.
func (s *screen) refused(r *http.Request, err error, msg *string) int {
	if err == nil {
		return http.StatusOK
	}
	status, m := s.t.Refusal(r, err)
	*msg = m
	return status
}

// refOf is the device a form or a query names, by credential or by
// enrollment.
func refOf(r *http.Request) manage.DeviceRef {
	return manage.DeviceRef{CredentialID: r.FormValue("credential"), EnrollmentID: r.FormValue("enrollment")}
}

func (s *screen) approve(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, "approve a device", s.d.App.ApproveDevice,
		"Device approved: policies that ask for an approved device let it in. Pomerium may take about a minute to notice.")
}

// change makes a change of the use cases to the device a form names, in
// the cluster the form names, and returns to the list with notice.
func (s *screen) change(w http.ResponseWriter, r *http.Request, doing string, use func(context.Context, *manage.Caller, string, manage.DeviceRef) error, notice string) {
	v := ui.ViewerFrom(r.Context())
	if err := use(r.Context(), v.Caller(), r.PostFormValue("cluster"), refOf(r)); err != nil {
		s.t.FailDoing(w, r, doing, err)
		return
	}
	ui.Redirect(w, r, ui.Back(r, "/devices"), notice)
}

// mayStatus is the status of a page that shows a form: Forbidden when
// the viewer may not use it.
func mayStatus(may bool) int {
	if may {
		return http.StatusOK
	}
	return http.StatusForbidden
}

// deleteData is the page that confirms a device's deletion.
type deleteData struct {
	Common
	Device device
	Back   string
}

func (s *screen) confirmDelete(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := &deleteData{Back: r.URL.Query().Get("back")}
	var err error
	if d.Common, err = s.common(r, v); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	dev, err := s.d.App.GetDevice(r.Context(), v.Caller(), d.Cluster, refOf(r))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d.Device = device{dev}
	s.t.Render(w, r, mayStatus(d.CanManage), deletePage, ui.Page{Title: "Delete the device of " + d.Device.User.Label(), Nav: ui.NavDevices, Data: d})
}

func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, "delete a device", s.d.App.DeleteDevice,
		"Device deleted: its user enrolls a device again wherever a policy asks for one.")
}

// Kind says what sort of device registered, from its attestation format;
// "" where it does not say.
func (d device) Kind() string {
	switch d.AttestationFormat() {
	case "fido-u2f":
		return "security key (FIDO U2F)"
	case "android-key", "android-safetynet":
		return "Android"
	case "apple":
		return "Apple"
	case "tpm":
		return "TPM"
	case "packed":
		return "authenticator (packed attestation)"
	}
	return ""
}

package serviceaccounts

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Expiry choices of the form, beside a date.
var expiryChoices = []struct{ Value, Label string }{
	{"30d", "in 30 days"}, {"90d", "in 90 days"}, {"365d", "in 1 year"}, {"never", "never"},
}

var expiryDays = map[string]int{"30d": 30, "90d": 90, "365d": 365}

// defaultExpiry is what a new form offers: an account that does not
// outlive its purpose unless someone chooses so.
const defaultExpiry = "90d"

// formData is what the create page shows.
type formData struct {
	Form *ui.Form
	// Namespaces are those the viewer manages; Grantable those where it
	// may also grant a role (admin).
	Namespaces, Grantable []ui.Namespace
	Expiries              []struct{ Value, Label string }
	Roles                 []store.Role
}

func (s *screen) form(v *ui.Viewer) *formData {
	d := &formData{Form: ui.NewForm(), Namespaces: managedNamespaces(v), Expiries: expiryChoices,
		Roles: []store.Role{store.RoleViewer, store.RoleManager, store.RoleAdmin}}
	for _, ns := range d.Namespaces {
		if v.Can(ns.ID, string(store.RoleAdmin)) {
			d.Grantable = append(d.Grantable, ns)
		}
	}
	return d
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	d := s.form(ui.ViewerFrom(r.Context()))
	d.Form.Values["namespace_id"] = r.URL.Query().Get("namespace")
	d.Form.Values["expires"] = defaultExpiry
	status := http.StatusOK
	if len(d.Namespaces) == 0 {
		status = http.StatusForbidden
	}
	s.t.Render(w, r, status, "new.html", ui.Page{Title: "New service account", Nav: ui.NavServiceAccounts, Data: d})
}

// createdData is what the page after a creation shows: the token, once.
type createdData struct {
	Account account
	Token   string
	// Granted is the role granted to the account, if one was asked for
	// and granted.
	Granted store.Role
}

// create makes a service account and shows its token. The answer is a
// page, not a redirect: the token exists only in this response, and a
// redirect would have to carry it somewhere it could be read again.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := s.form(v)
	page := ui.Page{Title: "New service account", Nav: ui.NavServiceAccounts, Data: d}
	f := d.Form
	if err := ui.ParseForm(w, r); err != nil {
		f.Errors[""] = err.Error()
		s.t.Render(w, r, http.StatusBadRequest, "new.html", page)
		return
	}
	for _, k := range []string{"description", "namespace_id", "expires", "expires_on", "role"} {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	expiresField := "expires"
	if f.Get("expires_on") != "" {
		expiresField = "expires_on"
	}
	expires, err := expiryOf(f.Get("expires"), f.Get("expires_on"), time.Now())
	if err != nil {
		f.Errors[expiresField] = err.Error()
	}
	role := store.Role(f.Get("role"))
	// status is 403 when the caller may not grant the role, whatever else
	// is wrong: correcting the other fields would not make it allowed.
	status := http.StatusBadRequest
	switch {
	case role == "":
	case role != store.RoleViewer && role != store.RoleManager && role != store.RoleAdmin:
		f.Errors["role"] = fmt.Sprintf("%q is not one of viewer, manager, admin", role)
	case !v.Can(f.Get("namespace_id"), string(store.RoleAdmin)):
		// Checked before creating anything: the grant would be refused
		// after the account exists.
		f.Errors["role"] = "granting a role takes admin of the namespace"
		status = http.StatusForbidden
	}
	if len(f.Errors) > 0 {
		page.Error = "The service account was not created: see below."
		s.t.Render(w, r, status, "new.html", page)
		return
	}
	in := &pb.PomeriumServiceAccount{NamespaceId: proto.String(f.Get("namespace_id")), Description: proto.String(f.Get("description"))}
	if !expires.IsZero() {
		in.ExpiresAt = timestamppb.New(expires)
	}
	res, err := s.d.Services.ServiceAccounts.AddPomeriumServiceAccount(r.Context(), connect.NewRequest(&pb.AddPomeriumServiceAccountRequest{ServiceAccount: in}))
	if err != nil {
		if ui.Status(err) == http.StatusInternalServerError {
			s.t.Fail(w, r, fmt.Errorf("add service account: %w", err))
			return
		}
		f.Refuse(err, map[string]string{
			"service_account.description": "description", "service_account.namespace_id": "namespace_id",
			"service_account.expires_at": expiresField,
		})
		page.Error = "The service account was not created: see below."
		s.t.Render(w, r, ui.Status(err), "new.html", page)
		return
	}
	c := createdData{Account: accountOf(v, res.Msg.GetServiceAccount(), time.Now()), Token: res.Msg.GetJWT()}
	created := ui.Page{Title: "Service account created", Nav: ui.NavServiceAccounts, Data: c}
	if role != "" {
		if err := s.grant(r, c.Account, role); err != nil {
			created.Error = "The account was created, but the role was not granted: " + ui.Message(err)
		} else {
			c.Granted = role
			created.Data = c
		}
	}
	s.t.Render(w, r, http.StatusCreated, "created.html", created)
}

// grant gives a new account a role in its namespace: an account's user id
// is its id.
func (s *screen) grant(r *http.Request, a account, role store.Role) error {
	_, err := s.d.Services.Permissions.SetNamespacePermission(r.Context(), connect.NewRequest(&pb.SetNamespacePermissionRequest{
		NamespacePermission: &pb.NamespacePermission{
			NamespaceId: a.NamespaceID, SubjectType: string(store.SubjectUser), SubjectId: a.ID, Role: string(role),
		},
	}))
	if err != nil {
		s.d.Log.Info("grant a role to a new service account", "account", a.ID, "role", string(role), "error", err.Error())
		return fmt.Errorf("grant %s to service account %s: %w", role, a.ID, err)
	}
	return nil
}

// expiryOf reads the expiry of the form: a date (at 00:00 UTC), which wins
// when given, or one of the choices. Zero means never.
func expiryOf(choice, date string, now time.Time) (time.Time, error) {
	if date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date like 2030-12-31", date)
		}
		return t, nil
	}
	if choice == "never" {
		return time.Time{}, nil
	}
	days, ok := expiryDays[choice]
	if !ok {
		return time.Time{}, fmt.Errorf("choose when the account expires")
	}
	return now.Add(time.Duration(days) * 24 * time.Hour), nil
}

package serviceaccounts

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
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
	// Namespaces are those where the viewer may create accounts;
	// Grantable those where it may also grant a role.
	Namespaces, Grantable []ui.Namespace
	Expiries              []struct{ Value, Label string }
	Roles                 []store.Role
	// KnownUsers are offered as users to act as.
	KnownUsers []knownUser
}

func (s *screen) form(r *http.Request, v *ui.Viewer) (*formData, error) {
	d := &formData{Form: ui.NewForm(), Namespaces: managedNamespaces(v), Expiries: expiryChoices,
		Roles: []store.Role{store.RoleViewer, store.RoleManager, store.RoleAdmin}}
	for _, ns := range d.Namespaces {
		if v.May(string(manage.GrantRoles), ns.ID) {
			d.Grantable = append(d.Grantable, ns)
		}
	}
	if len(d.Namespaces) == 0 {
		return d, nil
	}
	var err error
	d.KnownUsers, err = s.knownUsers(r, v)
	return d, err
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	d, err := s.form(r, ui.ViewerFrom(r.Context()))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d.Form.Values["namespace_id"] = r.URL.Query().Get("namespace")
	d.Form.Values["expires"] = defaultExpiry
	d.Form.Values["user_kind"] = userOwn
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
// redirect would have to carry it somewhere it could be read again. The
// date of expiry is the input expires_at, as the use cases name the field
// they refuse; the choice beside it (expires) is the form's own.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d, err := s.form(r, v)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	page := ui.Page{Title: "New service account", Nav: ui.NavServiceAccounts, Data: d}
	f := d.Form
	if err := ui.ParseForm(w, r); err != nil {
		f.Errors[""] = err.Error()
		s.t.Render(w, r, http.StatusBadRequest, "new.html", page)
		return
	}
	for _, k := range []string{"description", "namespace_id", "expires", "expires_at", "role", "user_kind", "user_id", "act_as"} {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	expiresField := "expires"
	if f.Get("expires_at") != "" {
		expiresField = "expires_at"
	}
	expires, err := expiryOf(f.Get("expires"), f.Get("expires_at"), time.Now())
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
	case !v.May(string(manage.GrantRoles), f.Get("namespace_id")):
		// Checked before creating anything: the grant would be refused
		// after the account exists.
		f.Errors["role"] = "granting a role takes admin of the namespace"
		status = http.StatusForbidden
	}
	userID, ok := s.chosenUser(r, v, f)
	if len(f.Errors) > 0 || !ok {
		page.Error = "The service account was not created: see below."
		s.t.Render(w, r, status, "new.html", page)
		return
	}
	sa, token, err := s.d.App.AddServiceAccount(r.Context(), v.Caller(), &store.ServiceAccount{
		ObjectMeta: store.ObjectMeta{NamespaceID: f.Get("namespace_id")}, UserID: userID, Description: f.Get("description"), ExpiresAt: expires,
	})
	if err != nil {
		if ui.Status(err) == http.StatusInternalServerError {
			s.t.Fail(w, r, fmt.Errorf("add service account: %w", err))
			return
		}
		if !refuseUser(f, err) {
			f.Refuse(err)
		}
		page.Error = "The service account was not created: see below."
		s.t.Render(w, r, ui.Status(err), "new.html", page)
		return
	}
	c := createdData{Account: accountOf(v, sa, time.Now()), Token: token}
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

// grant gives a new account a role in its namespace, granted to the user
// it acts as.
func (s *screen) grant(r *http.Request, a account, role store.Role) error {
	_, err := s.d.App.SetPermission(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.PermissionInput{
		Permission: &store.NamespacePermission{
			ObjectMeta: store.ObjectMeta{NamespaceID: a.NamespaceID}, SubjectType: store.SubjectUser, SubjectID: a.UserID, Role: role,
		},
	})
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

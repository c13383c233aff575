package serviceaccounts

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// The choices of the account's user: its own id (as before users could be
// chosen), a new user name, or an existing user to act as.
const (
	userOwn      = "own"
	userNew      = "new"
	userExisting = "existing"
)

// knownUsersShown bounds the known users the form offers to pick from; any
// other known user may still be typed.
const knownUsersShown = 200

// knownUser is a user the form offers to act as.
type knownUser struct{ ID, Label string }

// knownUsers are the users the console knows, for the form's list. A
// viewer who may not look users up (no role anywhere) gets none: the form
// is refused for them anyway.
func (s *screen) knownUsers(r *http.Request, v *ui.Viewer) ([]knownUser, error) {
	page, err := s.d.App.QueryUsers(r.Context(), v.Caller(), "", "", 0, knownUsersShown)
	switch {
	case manage.CodeOf(err) == manage.CodePermissionDenied:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("list known users: %w", err)
	}
	out := make([]knownUser, 0, len(page.Items))
	for _, u := range page.Items {
		label := u.ID
		switch {
		case u.Email != "" && u.Email != u.ID && u.Name != "":
			label = u.Name + " <" + u.Email + ">"
		case u.Email != "" && u.Email != u.ID:
			label = u.Email
		case u.Name != "":
			label = u.Name
		}
		out = append(out, knownUser{ID: u.ID, Label: label})
	}
	return out, nil
}

// chosenUser reads the user the form chose for the account: "" for its
// own id. Mistakes are recorded in f against the input to correct, and
// ok is false.
func (s *screen) chosenUser(r *http.Request, v *ui.Viewer, f *ui.Form) (userID string, ok bool) {
	switch kind := f.Get("user_kind"); kind {
	case "", userOwn:
		return "", true
	case userNew:
		if f.Get("user_id") == "" {
			f.Errors["user_id"] = "type the new user's name, or choose another option"
			return "", false
		}
		return f.Get("user_id"), true
	case userExisting:
		return s.existingUser(r, v, f)
	default:
		f.Errors["user_kind"] = fmt.Sprintf("%q is not one of %s, %s, %s", kind, userOwn, userNew, userExisting)
		return "", false
	}
}

// existingUser checks the user the form would act as: one the console
// knows, whose id the namespace keeps as it is (only Global does, but for
// the users of other accounts of the namespace), and without a role to
// grant, since the account takes the user's.
func (s *screen) existingUser(r *http.Request, v *ui.Viewer, f *ui.Form) (string, bool) {
	if f.Get("act_as") == "" {
		f.Errors["act_as"] = "choose a known user, or another option"
		return "", false
	}
	u, err := s.d.App.KnownUser(r.Context(), v.Caller(), f.Get("act_as"))
	if err != nil {
		f.Errors["act_as"] = ui.Message(err)
		return "", false
	}
	ns := f.Get("namespace_id")
	if full, err := manage.ServiceAccountUserID(ns, u.ID); err == nil && full != u.ID {
		f.Errors["act_as"] = fmt.Sprintf("an account in %s acts as a user whose id ends in @%s.pomerium, so it cannot act as %s: create it in Global, or choose a new user name",
			v.NamespacePath(ns), ns, u.ID)
		return "", false
	}
	if f.Get("role") != "" {
		f.Errors["role"] = "an account acting as an existing user has that user's roles: grant roles to the user on the namespace's permissions"
		return "", false
	}
	return u.ID, true
}

// refuseUser shows a refusal of the account's user at the input that chose
// it, whatever its code: the store's and the use cases' rules about
// user_id (taken, another namespace's suffix, a role above the viewer's).
func refuseUser(f *ui.Form, err error) bool {
	var re *manage.Error
	if !errors.As(err, &re) || re.Field != "user_id" {
		return false
	}
	field := "user_id"
	if f.Get("user_kind") == userExisting {
		field = "act_as"
	}
	f.Errors[field] = re.Reason
	return true
}

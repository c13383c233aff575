package serviceaccounts

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// grant is a role the account holds.
type grant struct{ NamespacePath, Role string }

// showData is what the account page shows; never a token.
type showData struct {
	Account account
	Roles   []grant
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	d, err := s.read(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, "show.html", ui.Page{Title: d.Account.Label(), Nav: ui.NavServiceAccounts, Data: d})
}

// delete revokes an account: deleting it ends every token it was given,
// and the roles granted to it go with it, unless they are granted to a
// user it chose, whose they stay.
func (s *screen) delete(w http.ResponseWriter, r *http.Request) {
	d, err := s.read(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeleteServiceAccount(r.Context(), ui.ViewerFrom(r.Context()).Caller(), d.Account.ID); err != nil {
		if ui.Status(err) == http.StatusInternalServerError {
			s.t.Fail(w, r, fmt.Errorf("delete service account %s: %w", d.Account.ID, err))
			return
		}
		s.t.Render(w, r, ui.Status(err), "show.html", ui.Page{Title: d.Account.Label(), Nav: ui.NavServiceAccounts, Data: d, Error: "Not revoked: " + ui.Message(err)})
		return
	}
	ui.Redirect(w, r, "/service-accounts", fmt.Sprintf("%s revoked: its tokens no longer work.", d.Account.Label()))
}

// read reads the account the path names and the roles granted to its
// user.
func (s *screen) read(r *http.Request) (*showData, error) {
	ctx, v := r.Context(), ui.ViewerFrom(r.Context())
	sa, err := s.d.App.GetServiceAccount(ctx, v.Caller(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := &showData{Account: accountOf(v, sa, time.Now())}
	perms, err := s.d.App.ListPermissions(ctx, v.Caller())
	if err != nil {
		return nil, fmt.Errorf("list the roles of service account %s: %w", d.Account.ID, err)
	}
	for _, p := range perms {
		if p.SubjectType == store.SubjectUser && p.SubjectID == d.Account.UserID {
			d.Roles = append(d.Roles, grant{NamespacePath: v.NamespacePath(p.NamespaceID), Role: string(p.Role)})
		}
	}
	slices.SortFunc(d.Roles, func(a, b grant) int { return strings.Compare(a.NamespacePath, b.NamespacePath) })
	return d, nil
}

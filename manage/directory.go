package manage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// User is what the console knows of a user.
type User struct {
	ID, Email, Name string
	Groups          []string
}

// directory is what the console knows of users and groups, read at one
// moment. The console has no access to the identity provider's directory:
// it knows the users who signed in (with the groups Pomerium sent for them)
// and the subjects of permissions. A user permission names a user id, an
// email or the user of a service account; a group permission a group as Pomerium
// sends it, by name or id, which is all the console knows of a group.
type directory struct {
	// users are ordered by email, then id.
	users []*User
	// groups are sorted.
	groups  []string
	byID    map[string]*User
	byEmail map[string]*User
}

// usersPage is how many known users one read of the store returns.
const usersPage = 1000

// directory reads the known users, the permissions and the service
// accounts that permissions name.
func (a *App) directory(ctx context.Context) (*directory, error) {
	d := &directory{byID: map[string]*User{}, byEmail: map[string]*User{}}
	groups := map[string]bool{}
	for offset := 0; ; offset += usersPage {
		page, total, err := a.store.Users(ctx, store.UserQuery{Offset: offset, Limit: usersPage})
		if err != nil {
			return nil, fmt.Errorf("read known users: %w", err)
		}
		for _, u := range page {
			d.add(&User{ID: u.ID, Email: u.Email, Name: u.Name, Groups: u.Groups})
			for _, g := range u.Groups {
				groups[g] = true
			}
		}
		if len(page) == 0 || offset+len(page) >= total {
			break
		}
	}
	grants, err := a.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	var strangers []string
	for _, p := range objectsOf[*store.NamespacePermission](grants.Objects) {
		switch {
		case p.SubjectType == store.SubjectGroup:
			groups[p.SubjectID] = true
		case d.lookup(p.SubjectID) == nil && !slices.Contains(strangers, p.SubjectID):
			strangers = append(strangers, p.SubjectID)
		}
	}
	if err := a.addStrangers(ctx, d, strangers); err != nil {
		return nil, err
	}
	for g := range groups {
		d.groups = append(d.groups, g)
	}
	slices.Sort(d.groups)
	slices.SortFunc(d.users, func(x, y *User) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.Email), strings.ToLower(y.Email)), cmp.Compare(x.ID, y.ID))
	})
	return d, nil
}

// addStrangers adds the subjects of user permissions who never signed in:
// the user of a service account by the account's name, an email as the
// user's email.
func (a *App) addStrangers(ctx context.Context, d *directory, subjects []string) error {
	names := map[string]string{}
	if len(subjects) > 0 {
		// Accounts are few, and a chosen user id can only be found by
		// reading them all.
		got, err := a.store.List(ctx, store.KindServiceAccount, store.ListQuery{})
		if err != nil {
			return fmt.Errorf("read the service accounts permissions name: %w", err)
		}
		for _, sa := range objectsOf[*store.ServiceAccount](got.Objects) {
			if _, taken := names[sa.User()]; !taken {
				names[sa.User()] = sa.Name
			}
		}
	}
	for _, id := range subjects {
		u := &User{ID: id, Name: names[id]}
		if strings.Contains(id, "@") {
			u.Email = id
		}
		d.add(u)
	}
	return nil
}

func (d *directory) add(u *User) {
	d.users = append(d.users, u)
	d.byID[u.ID] = u
	if u.Email != "" {
		d.byEmail[strings.ToLower(u.Email)] = u
	}
}

// lookup finds a user by id or, as permissions match them, by email
// without regard to case; nil when the console does not know them.
func (d *directory) lookup(subject string) *User {
	if u, ok := d.byID[subject]; ok {
		return u
	}
	return d.byEmail[strings.ToLower(subject)]
}

// find is a copy of the user lookup finds, refused about user_id when the
// console does not know them.
func (d *directory) find(subject string) (*User, error) {
	known := d.lookup(subject)
	if known == nil {
		return nil, Refuse(CodeNotFound, "user_id", "user %s is not known to the console: it has neither signed in nor been granted a role", subject)
	}
	u := *known
	u.Groups = slices.Clone(known.Groups)
	return &u, nil
}

// matchUsers returns the users whose id, email or name contains query,
// without regard to case.
func (d *directory) matchUsers(query string) []*User {
	q := strings.ToLower(query)
	var out []*User
	for _, u := range d.users {
		if strings.Contains(strings.ToLower(u.ID), q) || strings.Contains(strings.ToLower(u.Email), q) || strings.Contains(strings.ToLower(u.Name), q) {
			out = append(out, u)
		}
	}
	return out
}

// matchGroups returns the groups whose name contains query, without regard
// to case.
func (d *directory) matchGroups(query string) []string {
	q := strings.ToLower(query)
	var out []string
	for _, g := range d.groups {
		if strings.Contains(strings.ToLower(g), q) {
			out = append(out, g)
		}
	}
	return out
}

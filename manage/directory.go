package manage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

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
// sends it, by name or id. To those, withCluster adds what a cluster's
// databroker holds: Pomerium's user records and the directory records fed
// to it (pomerium.io/DirectoryUser and DirectoryGroup).
type directory struct {
	// users are ordered by email, then id.
	users []*User
	// groups are sorted.
	groups  []string
	byID    map[string]*User
	byEmail map[string]*User
	// groupNames are the names of the groups a directory record names.
	groupNames map[string]string
}

// usersPage is how many known users one read of the store returns.
const usersPage = 1000

// directory reads the known users, the permissions and the service
// accounts that permissions name.
func (a *App) directory(ctx context.Context) (*directory, error) {
	d := &directory{byID: map[string]*User{}, byEmail: map[string]*User{}, groupNames: map[string]string{}}
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
	d.sort()
	return d, nil
}

// sort orders the users and groups.
func (d *directory) sort() {
	slices.Sort(d.groups)
	d.groups = slices.Compact(d.groups)
	slices.SortFunc(d.users, func(x, y *User) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.Email), strings.ToLower(y.Email)), cmp.Compare(x.ID, y.ID))
	})
}

// withCluster adds to d the users and groups of a cluster's databroker
// whose records mention query (all of them for an empty query): user
// records, and the directory's users and groups. A user the console knows
// gains the name, email and groups the records hold. A databroker the
// console cannot reach adds nothing: the console's own knowledge still
// answers, and the failure is logged.
func (a *App) withCluster(ctx context.Context, d *directory, clusterID, query string) {
	if a.brokers == nil {
		return
	}
	cl, err := a.reach("cluster_id", clusterID)
	if err != nil {
		a.log.V(1).Info("users of the cluster's databroker left out", "cluster", clusterID, "reason", err.Error())
		return
	}
	merge := func(r *databrokerpb.Record) {
		p, groups, ok := personOf(r)
		if !ok {
			return
		}
		u := d.byID[p.ID]
		if u == nil {
			u = &User{ID: p.ID}
			d.add(u)
		}
		u.Name = cmp.Or(u.Name, p.Name)
		if u.Email == "" && p.Email != "" {
			u.Email = p.Email
			d.byEmail[strings.ToLower(p.Email)] = u
		}
		for _, g := range groups {
			if !slices.Contains(u.Groups, g) {
				u.Groups = append(u.Groups, g)
			}
			d.groups = append(d.groups, g)
		}
	}
	group := func(r *databrokerpb.Record) {
		if g, ok := groupOf(r); ok {
			d.groups = append(d.groups, g.ID)
			d.groupNames[g.ID] = cmp.Or(g.Name, g.ID)
		}
	}
	for _, scan := range []struct {
		recordType string
		each       func(*databrokerpb.Record)
	}{{userType, merge}, {directoryUserType, merge}, {directoryGroupType, group}} {
		err := scanRecords(ctx, cl.broker, scan.recordType, query, func(r *databrokerpb.Record) bool {
			scan.each(r)
			return true
		})
		if err != nil {
			a.log.Error(err, "read the users of the cluster's databroker", "cluster", clusterID, "type", scan.recordType)
			break
		}
	}
	d.sort()
}

// groupName is the name of a group: a directory record's, else the group
// as Pomerium sends it, which serves as both.
func (d *directory) groupName(id string) string { return cmp.Or(d.groupNames[id], id) }

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

// Group is a group: its id and name are what Pomerium sends, unless a
// directory record names it.
type Group struct{ ID, Name string }

// matchGroups returns the groups whose id or name contains query, without
// regard to case.
func (d *directory) matchGroups(query string) []Group {
	q := strings.ToLower(query)
	var out []Group
	for _, g := range d.groups {
		name := d.groupName(g)
		if strings.Contains(strings.ToLower(g), q) || strings.Contains(strings.ToLower(name), q) {
			out = append(out, Group{ID: g, Name: name})
		}
	}
	return out
}

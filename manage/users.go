package manage

import (
	"context"
	"slices"

	"github.com/pomerium-console/pomerium-console/store"
)

// UserInfo is a user with its role in every namespace where it has one.
type UserInfo struct {
	User
	Roles map[string]store.Role
	// Impersonating is set when this is the caller, whose Pomerium session
	// acts as another session (see Impersonate).
	Impersonating *Session
}

// UserHolder is a user permission with what the console knows of its
// subject (nil: nothing beyond the permission).
type UserHolder struct {
	*Permission
	User *User
}

// UserInfo returns the caller's own info when userID is empty or the
// caller's, with the session it impersonates in the cluster if any;
// another user's takes LookUpUsers, since it shows that user's roles
// everywhere. The roles of another user come from permissions: the
// configured administrators are known only when they call. What the
// cluster's databroker holds of the user is merged in.
func (a *App) UserInfo(ctx context.Context, c *Caller, clusterID, userID string) (*UserInfo, error) {
	cluster, err := c.ClusterID("cluster_id", clusterID)
	if err != nil {
		return nil, err
	}
	if userID == "" || userID == c.UserID {
		self := &UserInfo{User: User{ID: c.UserID, Name: c.Name, Email: c.Email, Groups: c.Groups}, Roles: c.Roles()}
		if self.ID == "" {
			// A recovery token has no user: it is known by its subject.
			self.ID = c.Subject
		}
		if self.Impersonating, err = a.Impersonating(ctx, c, cluster); err != nil {
			// Who the caller is does not hang on a databroker.
			a.log.Error(err, "read whether the caller impersonates", "cluster", cluster)
		}
		return self, nil
	}
	if !c.May(LookUpUsers, store.GlobalNamespaceID) {
		return nil, Refuse(CodePermissionDenied, "", "%s may only read its own user info: another user's takes admin of the Global namespace", c.Subject)
	}
	dir, err := a.directory(ctx)
	if err != nil {
		return nil, err
	}
	a.withCluster(ctx, dir, cluster, userID)
	u, err := dir.find(userID)
	if err != nil {
		return nil, err
	}
	return &UserInfo{User: *u, Roles: c.RolesOf(u.ID, u.Email, u.Groups)}, nil
}

// QueryUsers pages through the known users whose id, email or name
// contains query, by email then id: the console's, and those of the
// cluster's databroker. Looking up users and groups takes a role in some
// namespace: it is what choosing the subject of a permission needs, not
// what every holder of a token may do.
func (a *App) QueryUsers(ctx context.Context, c *Caller, clusterID, query string, offset, limit int) (*Page[*User], error) {
	dir, err := a.browse(ctx, c, clusterID, query, offset, limit)
	if err != nil {
		return nil, err
	}
	matched := dir.matchUsers(query)
	return &Page[*User]{Items: window(matched, offset, pageLimit(limit)), Total: len(matched)}, nil
}

// QueryGroups pages through the known groups whose id or name contains
// query, in order of id.
func (a *App) QueryGroups(ctx context.Context, c *Caller, clusterID, query string, offset, limit int) (*Page[Group], error) {
	dir, err := a.browse(ctx, c, clusterID, query, offset, limit)
	if err != nil {
		return nil, err
	}
	matched := dir.matchGroups(query)
	return &Page[Group]{Items: window(matched, offset, pageLimit(limit)), Total: len(matched)}, nil
}

// GroupInfo returns a known group, and refuses one the console does not
// know: no user who signed in is in it, no permission names it, and the
// cluster's databroker has no record of it.
func (a *App) GroupInfo(ctx context.Context, c *Caller, clusterID, id string) (*Group, error) {
	if id == "" {
		return nil, invalid("group_id", "is required")
	}
	dir, err := a.browse(ctx, c, clusterID, id, 0, 0)
	if err != nil {
		return nil, err
	}
	if _, found := slices.BinarySearch(dir.groups, id); !found {
		return nil, Refuse(CodeNotFound, "group_id", "group %q is not known to the console: no user who signed in is in it, no permission names it, and the cluster's databroker has no record of it", id)
	}
	return &Group{ID: id, Name: dir.groupName(id)}, nil
}

// KnownUser returns the user the console knows by id, or by email without
// regard to case, as permissions match them; a user it does not know (who
// has neither signed in nor been granted a role) is refused, about
// user_id. It takes what QueryUsers takes: it is how a surface checks the
// user it offers to act as.
func (a *App) KnownUser(ctx context.Context, c *Caller, subject string) (*User, error) {
	if subject == "" {
		return nil, invalid("user_id", "is required")
	}
	dir, err := a.browse(ctx, c, "", subject, 0, 0)
	if err != nil {
		return nil, err
	}
	return dir.find(subject)
}

// UserHolders is Holders of user permissions, with what the console knows
// of each subject.
func (a *App) UserHolders(ctx context.Context, c *Caller, namespaceID string) ([]*UserHolder, error) {
	grants, err := a.Holders(ctx, c, namespaceID, store.SubjectUser)
	if err != nil {
		return nil, err
	}
	dir, err := a.directory(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*UserHolder, len(grants))
	for i, p := range grants {
		out[i] = &UserHolder{Permission: p, User: dir.lookup(p.SubjectID)}
	}
	return out, nil
}

// browse reads the directory, with the users and groups of the cluster's
// databroker that mention query, for a caller who holds a role somewhere.
func (a *App) browse(ctx context.Context, c *Caller, clusterID, query string, offset, limit int) (*directory, error) {
	if err := checkPage(offset, limit); err != nil {
		return nil, err
	}
	if len(c.Roles()) == 0 {
		return nil, Refuse(CodePermissionDenied, "", "%s has no role in any namespace; looking up users and groups takes one", c.Subject)
	}
	cluster, err := c.ClusterID("cluster_id", clusterID)
	if err != nil {
		return nil, err
	}
	d, err := a.directory(ctx)
	if err != nil {
		return nil, err
	}
	a.withCluster(ctx, d, cluster, query)
	return d, nil
}

// pageLimit is a page's limit, the largest page for 0.
func pageLimit(limit int) int {
	if limit == 0 {
		return MaxPage
	}
	return limit
}

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
}

// UserHolder is a user permission with what the console knows of its
// subject (nil: nothing beyond the permission).
type UserHolder struct {
	*Permission
	User *User
}

// UserInfo returns the caller's own info when userID is empty or the
// caller's; another user's takes LookUpUsers, since it shows that user's
// roles everywhere. The roles of another user come from permissions: the
// configured administrators are known only when they call.
func (a *App) UserInfo(ctx context.Context, c *Caller, userID string) (*UserInfo, error) {
	if userID == "" || userID == c.UserID {
		self := &UserInfo{User: User{ID: c.UserID, Name: c.Name, Email: c.Email, Groups: c.Groups}, Roles: c.Roles()}
		if self.ID == "" {
			// A recovery token has no user: it is known by its subject.
			self.ID = c.Subject
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
	u, err := dir.find(userID)
	if err != nil {
		return nil, err
	}
	return &UserInfo{User: *u, Roles: c.RolesOf(u.ID, u.Email, u.Groups)}, nil
}

// QueryUsers pages through the known users whose id, email or name
// contains query, by email then id. Looking up users and groups takes a
// role in some namespace: it is what choosing the subject of a permission
// needs, not what every holder of a token may do.
func (a *App) QueryUsers(ctx context.Context, c *Caller, query string, offset, limit int) (*Page[*User], error) {
	dir, err := a.browse(ctx, c, offset, limit)
	if err != nil {
		return nil, err
	}
	matched := dir.matchUsers(query)
	return &Page[*User]{Items: window(matched, offset, pageLimit(limit)), Total: len(matched)}, nil
}

// QueryGroups pages through the known groups whose name contains query,
// in order of name.
func (a *App) QueryGroups(ctx context.Context, c *Caller, query string, offset, limit int) (*Page[string], error) {
	dir, err := a.browse(ctx, c, offset, limit)
	if err != nil {
		return nil, err
	}
	matched := dir.matchGroups(query)
	return &Page[string]{Items: window(matched, offset, pageLimit(limit)), Total: len(matched)}, nil
}

// GroupKnown refuses a group the console does not know: no user who
// signed in is in it and no permission names it.
func (a *App) GroupKnown(ctx context.Context, c *Caller, id string) error {
	if id == "" {
		return invalid("group_id", "is required")
	}
	dir, err := a.browse(ctx, c, 0, 0)
	if err != nil {
		return err
	}
	if _, found := slices.BinarySearch(dir.groups, id); !found {
		return Refuse(CodeNotFound, "group_id", "group %q is not known to the console: no user who signed in is in it and no permission names it", id)
	}
	return nil
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
	dir, err := a.browse(ctx, c, 0, 0)
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

// browse reads the directory for a caller who holds a role somewhere.
func (a *App) browse(ctx context.Context, c *Caller, offset, limit int) (*directory, error) {
	if err := checkPage(offset, limit); err != nil {
		return nil, err
	}
	if len(c.Roles()) == 0 {
		return nil, Refuse(CodePermissionDenied, "", "%s has no role in any namespace; looking up users and groups takes one", c.Subject)
	}
	return a.directory(ctx)
}

// pageLimit is a page's limit, the largest page for 0.
func pageLimit(limit int) int {
	if limit == 0 {
		return MaxPage
	}
	return limit
}

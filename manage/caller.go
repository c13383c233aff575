package manage

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// Identity is who calls, as the surface that authenticated the call knows
// it.
type Identity struct {
	// Subject names the caller in the activity log: an email, a user id,
	// "service_account:<id>", "recovery:<namespace id>", "kubernetes" or
	// "import".
	Subject string
	// UserID and Email match user permissions; Groups group permissions.
	UserID, Email, Name string
	Groups              []string
	// Administrator is an admin of the Global namespace, and so of
	// everything: the configured administrators, and the console's own
	// writers (Kubernetes controllers, the import command).
	Administrator bool
	// AdminOf makes the caller admin of one namespace and everything below
	// it (a recovery token); empty for none.
	AdminOf string
	// SessionID is the caller's Pomerium session, for a user who came
	// through Pomerium; empty for tokens of the console.
	SessionID string
}

// Caller is the caller of one request with its roles, read once when the
// request starts: every decision of the request is taken on the same
// namespace tree and permissions.
type Caller struct {
	Identity
	// Origin is the surface the call came through; what it writes takes it.
	Origin store.Origin
	snap   *rbac.Snapshot
	rc     rbac.Caller
	// request, when set, makes the request's writes at-most-once.
	request *requestKeys
}

// Caller reads the namespace tree and permissions for one request of id
// through origin.
func (a *App) Caller(ctx context.Context, id Identity, origin store.Origin) (*Caller, error) {
	if !origin.Valid() || origin == store.OriginSystem {
		return nil, fmt.Errorf("caller %s: %q is not the origin of a surface", id.Subject, origin)
	}
	snap, err := a.roles.load(ctx, a.store)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	return CallerOf(id, origin, snap), nil
}

// rolesKinds are the kinds a snapshot of roles is made of.
var rolesKinds = []store.Kind{store.KindNamespace, store.KindNamespacePermission}

// rolesCache keeps the last snapshot of the namespace tree and the
// permissions, read again only once a namespace or a permission has
// changed: every request, and every reconcile of a Kubernetes resource,
// starts with one, and most change neither.
type rolesCache struct {
	mu      sync.Mutex
	version int64
	count   int
	snap    *rbac.Snapshot
}

// load returns a snapshot as of now. The kinds' version is read before the
// snapshot, so a change made while it is read makes the next call read
// again.
func (r *rolesCache) load(ctx context.Context, s Store) (*rbac.Snapshot, error) {
	version, count, err := s.KindsVersion(ctx, rolesKinds...)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.snap != nil && r.version == version && r.count == count {
		defer r.mu.Unlock()
		return r.snap, nil
	}
	r.mu.Unlock()
	snap, err := rbac.Load(ctx, s)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if version >= r.version {
		r.version, r.count, r.snap = version, count, snap
	}
	return snap, nil
}

// CallerOf is the caller id with the roles snap gives it: what Caller
// returns, for a surface that holds a snapshot already (a test).
func CallerOf(id Identity, origin store.Origin, snap *rbac.Snapshot) *Caller {
	return &Caller{Identity: id, Origin: origin, snap: snap, rc: rbac.Caller{
		UserID: id.UserID, Email: id.Email, Groups: id.Groups,
		Administrator: id.Administrator, AdminOf: id.AdminOf,
	}}
}

// Role is the caller's role in a namespace ("" for none).
func (c *Caller) Role(namespaceID string) store.Role { return c.snap.Role(c.rc, namespaceID) }

// Roles is the caller's role in every namespace where it has one.
func (c *Caller) Roles() map[string]store.Role { return c.snap.Roles(c.rc) }

// RolesOf is the role of another subject in every namespace where it has
// one, by the permissions the caller's snapshot holds.
func (c *Caller) RolesOf(userID, email string, groups []string) map[string]store.Role {
	return c.snap.Roles(rbac.Caller{UserID: userID, Email: email, Groups: groups})
}

// Sees reports whether the caller may see a namespace at all.
func (c *Caller) Sees(namespaceID string) bool { return c.May(View, namespaceID) }

// NamespaceName is the name of a namespace, "" for one the snapshot does
// not hold.
func (c *Caller) NamespaceName(id string) string { return c.snap.Name(id) }

// Cluster returns the cluster of the objects of a namespace.
func (c *Caller) Cluster(namespaceID string) string { return c.snap.Cluster(namespaceID) }

// Exists reports whether the namespace existed when the request started.
func (c *Caller) Exists(id string) bool { return c.snap.Exists(id) }

// Ancestry is a namespace and every namespace above it, nearest first.
func (c *Caller) Ancestry(id string) []string { return c.snap.Ancestry(id) }

// Visible is every namespace the caller may see, in no order.
func (c *Caller) Visible() []string {
	var out []string
	for id := range c.Roles() {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Actor is the caller as the activity log records it.
func (c *Caller) Actor() store.Actor { return store.Actor{Subject: c.Subject, Origin: c.Origin} }

// require refuses the call unless the caller may take action a in the
// namespace. A caller who may not even see the namespace is told it does
// not exist, as for any object it may not see; field names the input that
// named the namespace.
func (c *Caller) require(a Action, namespaceID, field string) error {
	if c.May(a, namespaceID) {
		return nil
	}
	have := c.Role(namespaceID)
	if have == rbac.None {
		return notFound(field, store.KindNamespace, namespaceID)
	}
	want, _ := needs(a)
	return Refuse(CodePermissionDenied, "", "%s is %s of namespace %s; this needs %s", c.Subject, have, namespaceID, want)
}

// permit is require for a caller who has been shown the object at stake:
// lacking the role is PermissionDenied even where the namespace that grants
// it (a parent) is hidden from the caller.
func (c *Caller) permit(a Action, namespaceID string) error {
	if c.May(a, namespaceID) {
		return nil
	}
	want, _ := needs(a)
	return Refuse(CodePermissionDenied, "", "%s may not do this: it needs %s of namespace %s", c.Subject, want, namespaceID)
}

// System is a caller of the console's own writers (the Kubernetes
// controllers, the import command): an admin everywhere, recorded under
// subject with origin.
func (a *App) System(ctx context.Context, subject string, origin store.Origin) (*Caller, error) {
	return a.Caller(ctx, Identity{Subject: subject, Administrator: true}, origin)
}

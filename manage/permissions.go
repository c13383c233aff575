package manage

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// Permission is a permission with the name of its namespace.
type Permission struct {
	*store.NamespacePermission
	NamespaceName string
}

// PermissionInput is a permission to write: a create when its id is empty.
type PermissionInput struct {
	Permission *store.NamespacePermission
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
}

// GetPermission reads a permission the caller may view.
func (a *App) GetPermission(ctx context.Context, c *Caller, id string) (*Permission, error) {
	p, err := get[*store.NamespacePermission](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return permissionView(c, p), nil
}

// ListPermissions reads every permission of the namespaces the caller may
// view.
func (a *App) ListPermissions(ctx context.Context, c *Caller) ([]*Permission, error) {
	all, err := a.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	var out []*Permission
	for _, p := range objectsOf[*store.NamespacePermission](all.Objects) {
		if c.Sees(p.NamespaceID) {
			out = append(out, permissionView(c, p))
		}
	}
	return out, nil
}

// SetPermission grants or changes a role (GrantRoles, where the permission
// is and where it was). Nobody grants a role above their own.
func (a *App) SetPermission(ctx context.Context, c *Caller, in PermissionInput) (*Permission, error) {
	if in.Permission == nil {
		return nil, invalid("", "a permission is required")
	}
	p := store.Clone(in.Permission)
	if !store.ValidID(p.NamespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	op := &store.PutOp{Object: p}
	if p.ID == "" {
		p.ID, op.CreateOnly = uuid.NewString(), true
	} else {
		old, err := getFor[*store.NamespacePermission](ctx, a, c, GrantRoles, "id", p.ID)
		if err != nil {
			return nil, err
		}
		if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
			return nil, err
		}
	}
	if err := c.require(GrantRoles, p.NamespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	// A role that is none of the roles is the store's to refuse, naming
	// the field.
	if slices.Contains(roles, p.Role) && !slices.Contains(c.Grantable(p.NamespaceID), p.Role) {
		return nil, Refuse(CodePermissionDenied, "", "%s is %s of namespace %s and may not grant %s", c.Subject, c.Role(p.NamespaceID), p.NamespaceID, p.Role)
	}
	written, err := a.apply(ctx, c, p, op)
	if err != nil {
		return nil, err
	}
	return permissionView(c, written[0].(*store.NamespacePermission)), nil
}

// DeletePermission revokes a role (GrantRoles).
func (a *App) DeletePermission(ctx context.Context, c *Caller, id string) error {
	p, err := getFor[*store.NamespacePermission](ctx, a, c, GrantRoles, "id", id)
	if err != nil {
		return err
	}
	_, err = a.apply(ctx, c, p, &store.DeleteOp{Kind: store.KindNamespacePermission, ID: p.ID, ExpectedVersion: p.Version})
	return err
}

// Holders returns the permissions of one subject type that give a role in
// a namespace the caller may view: granted on it, or on a namespace above
// it that the caller may see (those it cannot see stay hidden), nearest
// namespace first, then by subject.
func (a *App) Holders(ctx context.Context, c *Caller, namespaceID string, subject store.SubjectType) ([]*Permission, error) {
	if !store.ValidID(namespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	if err := c.require(View, namespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	depth := map[string]int{}
	for i, id := range c.Ancestry(namespaceID) {
		if c.Sees(id) {
			depth[id] = i
		}
	}
	all, err := a.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	var grants []*store.NamespacePermission
	for _, p := range objectsOf[*store.NamespacePermission](all.Objects) {
		if _, ok := depth[p.NamespaceID]; ok && p.SubjectType == subject {
			grants = append(grants, p)
		}
	}
	slices.SortStableFunc(grants, func(x, y *store.NamespacePermission) int {
		return cmp.Or(cmp.Compare(depth[x.NamespaceID], depth[y.NamespaceID]), cmp.Compare(x.SubjectID, y.SubjectID))
	})
	out := make([]*Permission, len(grants))
	for i, p := range grants {
		out[i] = permissionView(c, p)
	}
	return out, nil
}

// roles are the roles, weakest first.
var roles = []store.Role{store.RoleViewer, store.RoleManager, store.RoleAdmin}

// Grantable is the roles the caller may grant on a namespace, weakest
// first: none where it may not grant roles, and never one above its own
// there. Only admins grant, and admin is the strongest role, so the second
// rule holds today by the first; it is kept so that it holds if the role
// that grants ever changes.
func (c *Caller) Grantable(namespaceID string) []store.Role {
	if !c.May(GrantRoles, namespaceID) {
		return nil
	}
	var out []store.Role
	for _, r := range roles {
		if atLeast(c.Role(namespaceID), r) {
			out = append(out, r)
		}
	}
	return out
}

func permissionView(c *Caller, p *store.NamespacePermission) *Permission {
	return &Permission{NamespacePermission: p, NamespaceName: c.NamespaceName(p.NamespaceID)}
}

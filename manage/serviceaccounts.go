package manage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// ServiceAccount is a service account with the time it last used a token
// (zero: never). Its User method (the store's) is its user id, what the
// APIs return as user_id: the one chosen, or its id.
type ServiceAccount struct {
	*store.ServiceAccount
	LastUsed time.Time
}

// ServiceAccountInput is a service account to write.
type ServiceAccountInput struct {
	Account *store.ServiceAccount
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
}

// errNoTokens refuses to make accounts where no one signs their tokens.
var errNoTokens = errors.New("this surface issues no service account tokens")

// AddServiceAccount creates a service account and its first token
// (EditServiceAccounts). The console chooses the id, so that an id, and
// with it the tokens of a deleted account, never comes back; and the name,
// "service account <id>". sa.UserID, when set, is the user the account
// acts as, by the rule of ServiceAccountUserID: unique in the namespace
// (CodeAlreadyExists) and holding no role above the caller's
// (CodePermissionDenied), both about field user_id. The token is shown
// this once.
func (a *App) AddServiceAccount(ctx context.Context, c *Caller, sa *store.ServiceAccount) (*ServiceAccount, string, error) {
	if sa == nil {
		return nil, "", invalid("", "a service account is required")
	}
	if a.tokens == nil {
		return nil, "", errNoTokens
	}
	sa = store.Clone(sa)
	if sa.ID != "" {
		return nil, "", invalid("id", "is chosen by the console: leave it empty")
	}
	if !store.ValidID(sa.NamespaceID) {
		return nil, "", invalid("namespace_id", "must be the id of a namespace")
	}
	if !sa.ExpiresAt.IsZero() && !sa.ExpiresAt.After(a.now()) {
		return nil, "", invalid("expires_at", "%s is not in the future", sa.ExpiresAt.UTC().Format(time.RFC3339))
	}
	var err error
	if sa.UserID, err = ServiceAccountUserID(sa.NamespaceID, sa.UserID); err != nil {
		return nil, "", err
	}
	if err := c.require(EditServiceAccounts, sa.NamespaceID, "namespace_id"); err != nil {
		return nil, "", err
	}
	if sa.UserID != "" {
		if err := mayActAs(c, sa.UserID); err != nil {
			return nil, "", err
		}
		if err := a.userFree(ctx, sa); err != nil {
			return nil, "", err
		}
	}
	sa.ID = uuid.NewString()
	sa.Name = "service account " + sa.ID
	// Signed before the write: an account is never created without the
	// token its creator came for.
	token, err := a.tokens.IssueServiceAccountToken(ctx, sa)
	if err != nil {
		return nil, "", fmt.Errorf("sign a token for service account %s: %w", sa.ID, err)
	}
	return a.writeAccount(ctx, c, &store.PutOp{Object: sa, CreateOnly: true}, token)
}

// writeAccount writes a service account and returns it with the token
// made for it ("" for none).
func (a *App) writeAccount(ctx context.Context, c *Caller, op *store.PutOp, token string) (*ServiceAccount, string, error) {
	written, err := a.apply(ctx, c, op.Object, op)
	if err != nil {
		return nil, "", err
	}
	out, err := one(a.serviceAccountViews(ctx, written[0].(*store.ServiceAccount)))
	if err != nil {
		return nil, "", err
	}
	return out, token, nil
}

// SetServiceAccount changes the description and expiry of a service
// account (EditServiceAccounts); it stays in its namespace and keeps its
// name and user id (an empty UserID keeps it, as does the user id sent
// back as it was chosen; any other is refused). A new token is issued, and
// returned, when the expiry moves later,
// since every token carries the expiry of its account when it was signed;
// a shorter expiry needs none, as the account's own cuts every token short.
func (a *App) SetServiceAccount(ctx context.Context, c *Caller, in ServiceAccountInput) (*ServiceAccount, string, error) {
	if in.Account == nil {
		return nil, "", invalid("", "a service account is required")
	}
	old, err := getFor[*store.ServiceAccount](ctx, a, c, EditServiceAccounts, "id", in.Account.ID)
	if err != nil {
		return nil, "", err
	}
	if ns := in.Account.NamespaceID; ns != "" && ns != old.NamespaceID {
		return nil, "", invalid("namespace_id", "cannot change: a service account stays in the namespace it was created in")
	}
	if u := in.Account.UserID; u != "" && !sameUser(old, u) {
		return nil, "", invalid("user_id", "cannot change: service account %s acts as user %q for good (send that, or nothing)", old.ID, old.User())
	}
	updated := store.Clone(old)
	updated.Description, updated.ExpiresAt = in.Account.Description, in.Account.ExpiresAt
	updated.Explicit = slices.Clone(in.Account.Explicit)
	keepExplicit(updated, old)
	var token string
	if extends(old.ExpiresAt, updated.ExpiresAt, a.now()) {
		if a.tokens == nil {
			return nil, "", errNoTokens
		}
		if err := outranks(c, updated); err != nil {
			return nil, "", err
		}
		// Signed before the write so that a failure leaves nothing changed.
		if token, err = a.tokens.IssueServiceAccountToken(ctx, updated); err != nil {
			return nil, "", fmt.Errorf("sign a token for service account %s: %w", updated.ID, err)
		}
	}
	version, err := pin(in.ExpectedVersion, old)
	if err != nil {
		return nil, "", err
	}
	return a.writeAccount(ctx, c, &store.PutOp{Object: updated, ExpectedVersion: version}, token)
}

// GetServiceAccount reads a service account the caller may view.
func (a *App) GetServiceAccount(ctx context.Context, c *Caller, id string) (*ServiceAccount, error) {
	sa, err := get[*store.ServiceAccount](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return one(a.serviceAccountViews(ctx, sa))
}

// ListServiceAccounts reads the service accounts of a namespace the caller
// may view.
func (a *App) ListServiceAccounts(ctx context.Context, c *Caller, namespaceID string) ([]*ServiceAccount, error) {
	if !store.ValidID(namespaceID) {
		return nil, invalid("namespace", "must be the id of a namespace")
	}
	if err := c.require(View, namespaceID, "namespace"); err != nil {
		return nil, err
	}
	got, err := a.store.List(ctx, store.KindServiceAccount, store.ListQuery{NamespaceID: namespaceID})
	if err != nil {
		return nil, fmt.Errorf("list the service accounts of namespace %s: %w", namespaceID, err)
	}
	return a.serviceAccountViews(ctx, objectsOf[*store.ServiceAccount](got.Objects)...)
}

// DeleteServiceAccount deletes a service account (EditServiceAccounts),
// which revokes its tokens at once. An account without a chosen user id
// takes the permissions granted to it along in the same transaction: their
// subject, its id, is gone for good. Those of a chosen user id stay: they
// are the user's, which another account, or a person, may be.
func (a *App) DeleteServiceAccount(ctx context.Context, c *Caller, id string) error {
	sa, err := getFor[*store.ServiceAccount](ctx, a, c, EditServiceAccounts, "id", id)
	if err != nil {
		return err
	}
	ops := []store.Op{&store.DeleteOp{Kind: store.KindServiceAccount, ID: sa.ID, ExpectedVersion: sa.Version}}
	if sa.UserID != "" {
		_, err = a.apply(ctx, c, sa, ops...)
		return err
	}
	grants, err := a.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return fmt.Errorf("list permissions: %w", err)
	}
	for _, p := range objectsOf[*store.NamespacePermission](grants.Objects) {
		if p.SubjectType == store.SubjectUser && p.SubjectID == sa.ID {
			ops = append(ops, &store.DeleteOp{Kind: store.KindNamespacePermission, ID: p.ID})
		}
	}
	_, err = a.apply(ctx, c, sa, ops...)
	return err
}

// extends reports whether an account's expiry moving from before to after
// makes its tokens live longer, into the future (zero: never expires).
func extends(before, after, now time.Time) bool {
	switch {
	case before.IsZero():
		return false
	case after.IsZero():
		return true
	}
	return after.After(before) && after.After(now)
}

// outranks refuses a new token of an account whose user holds a role its
// caller does not hold: the token would lend the caller that role.
func outranks(c *Caller, sa *store.ServiceAccount) error {
	if ns, _ := exceeds(c, sa.User()); ns != "" {
		return Refuse(CodePermissionDenied, "",
			"%s may not extend the expiry of service account %s, which would issue it a new token: the account holds roles %s does not", c.Subject, sa.ID, c.Subject)
	}
	return nil
}

// serviceAccountViews adds when each account last used a token.
func (a *App) serviceAccountViews(ctx context.Context, list ...*store.ServiceAccount) ([]*ServiceAccount, error) {
	used := map[string]time.Time{}
	if len(list) > 0 {
		var err error
		if used, err = a.store.ServiceAccountAccess(ctx, idsOf(list)...); err != nil {
			return nil, fmt.Errorf("read when service accounts were last used: %w", err)
		}
	}
	out := make([]*ServiceAccount, len(list))
	for i, sa := range list {
		out[i] = &ServiceAccount{ServiceAccount: sa, LastUsed: used[sa.ID]}
	}
	return out, nil
}

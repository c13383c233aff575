package api

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// access is what one call knows of its caller's rights.
type access struct {
	p      *auth.Principal
	origin store.Origin
	caller rbac.Caller
	snap   *rbac.Snapshot
}

// access reads the caller from ctx and the namespace tree and permissions
// from the store.
func (s *Server) access(ctx context.Context) (*access, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("no caller"))
	}
	snap, err := rbac.Load(ctx, s.store)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &access{p: p, origin: originOf(ctx), snap: snap, caller: rbac.Caller{
		UserID: p.UserID, Email: p.Email, Groups: p.Groups,
		Administrator: p.Administrator, AdminOf: p.RecoveryNamespaceID,
	}}, nil
}

// role is the caller's role in a namespace.
func (a *access) role(namespaceID string) store.Role { return a.snap.Role(a.caller, namespaceID) }

// can reports whether the caller holds at least want in the namespace.
func (a *access) can(namespaceID string, want store.Role) bool {
	return rbac.AtLeast(a.role(namespaceID), want)
}

// require refuses the call unless the caller holds at least want in the
// namespace. A caller who cannot even see the namespace is told it does not
// exist, as for any object it may not see.
func (a *access) require(namespaceID string, want store.Role) error {
	have := a.role(namespaceID)
	switch {
	case rbac.AtLeast(have, want):
		return nil
	case have == rbac.None:
		return notFound(store.KindNamespace, namespaceID)
	}
	return connect.NewError(connect.CodePermissionDenied,
		fmt.Errorf("%s is %s of namespace %s; this needs %s", a.p.Subject, have, namespaceID, want))
}

// permit is require for a caller who has already been shown the object
// at stake: lacking the role is PermissionDenied even where the namespace
// that grants it (a parent) is not visible to the caller.
func (a *access) permit(namespaceID string, want store.Role) error {
	if have := a.role(namespaceID); !rbac.AtLeast(have, want) {
		return connect.NewError(connect.CodePermissionDenied,
			fmt.Errorf("%s may not do this: it needs %s of namespace %s", a.p.Subject, want, namespaceID))
	}
	return nil
}

// actor is the caller as the activity log records it.
func (a *access) actor() store.Actor {
	return store.Actor{Subject: a.p.Subject, Origin: a.origin}
}

type originKey struct{}

// WithOrigin returns a context whose calls record origin as the surface of
// their changes: the web console calls the services in process and its
// changes are "ui", not "api".
func WithOrigin(ctx context.Context, origin store.Origin) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

// originOf is the surface WithOrigin put in ctx; the API by default.
func originOf(ctx context.Context) store.Origin {
	if o, ok := ctx.Value(originKey{}).(store.Origin); ok && o.Valid() {
		return o
	}
	return store.OriginAPI
}

func callerSubject(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject
	}
	return ""
}

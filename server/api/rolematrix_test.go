package api_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// roleCall is one RPC of a role matrix: need is the weakest role that may
// make it; call makes it with token on an object in namespace ns.
type roleCall struct {
	name string
	need store.Role
	call func(ctx context.Context, e *env, token, ns string) error
}

// roleMatrix calls every RPC as a caller holding each role on Team (and as
// one holding none), against Team itself, App below it and Other beside
// it, and checks the exact status: NotFound where the caller sees nothing,
// PermissionDenied where its role is too weak, success otherwise.
func (e *env) roleMatrix(t *testing.T, rpcs []roleCall) {
	t.Helper()
	team := e.namespace(store.GlobalNamespaceID, "Team")
	places := map[string]string{
		"own":     team.ID,
		"child":   e.namespace(team.ID, "App").ID,
		"sibling": e.namespace(store.GlobalNamespaceID, "Other").ID,
	}
	tokens := map[store.Role]string{}
	for _, role := range []store.Role{rbac.None, store.RoleViewer, store.RoleManager, store.RoleAdmin} {
		tokens[role] = e.account(role, team.ID)
	}
	for _, r := range rpcs {
		for role, tok := range tokens {
			for where, ns := range places {
				want := connect.Code(0)
				switch {
				case where == "sibling" || role == rbac.None:
					want = connect.CodeNotFound
				case !rbac.AtLeast(role, r.need):
					want = connect.CodePermissionDenied
				}
				err := r.call(e.ctx, e, tok, ns)
				if got := codeOf(err); got != want {
					t.Errorf("%s as %q in %s namespace: %v (%v), want %v", r.name, role, where, got, err, want)
				}
			}
		}
	}
}

package api_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// matrixCaller is one caller of the matrix, through one transport.
type matrixCaller struct {
	e    *env
	sa   serviceAccountAPI
	perm permissionAPI
}

// matrixRPC is one call of the matrix on an object in (or the list of) the
// namespace ns; need is the weakest role that may make it. Each call makes
// the objects it acts on, so that no call depends on another.
type matrixRPC struct {
	name string
	need store.Role
	call func(c matrixCaller, ns string) error
}

var errNotListed = connect.NewError(connect.CodeNotFound, errors.New("not listed"))

var matrixRPCs = []matrixRPC{
	{"AddPomeriumServiceAccount", store.RoleManager, func(c matrixCaller, ns string) error {
		_, err := c.sa.add(c.e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: &ns}})
		return err
	}},
	{"SetPomeriumServiceAccount", store.RoleManager, func(c matrixCaller, ns string) error {
		_, err := c.sa.set(c.e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: c.e.putServiceAccount(ns).ID, Description: new("x")}})
		return err
	}},
	{"GetPomeriumServiceAccount", store.RoleViewer, func(c matrixCaller, ns string) error {
		_, err := c.sa.get(c.e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: c.e.putServiceAccount(ns).ID})
		return err
	}},
	{"ListPomeriumServiceAccounts", store.RoleViewer, func(c matrixCaller, ns string) error {
		_, err := c.sa.list(c.e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: ns})
		return err
	}},
	{"DeletePomeriumServiceAccount", store.RoleManager, func(c matrixCaller, ns string) error {
		_, err := c.sa.del(c.e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: c.e.putServiceAccount(ns).ID})
		return err
	}},
	{"SetNamespacePermission (grant)", store.RoleAdmin, func(c matrixCaller, ns string) error {
		_, err := c.perm.set(c.e.ctx, grant(ns, "user", uuid.NewString(), store.RoleViewer))
		return err
	}},
	{"SetNamespacePermission (change)", store.RoleAdmin, func(c matrixCaller, ns string) error {
		req := grant(ns, "group", uuid.NewString(), store.RoleManager)
		req.NamespacePermission.Id = c.e.putPermission(ns).ID
		_, err := c.perm.set(c.e.ctx, req)
		return err
	}},
	{"GetNamespacePermission", store.RoleViewer, func(c matrixCaller, ns string) error {
		_, err := c.perm.get(c.e.ctx, &pb.GetNamespacePermissionRequest{Id: c.e.putPermission(ns).ID})
		return err
	}},
	// ListNamespacePermissions has no namespace: a permission it leaves
	// out counts as NotFound.
	{"ListNamespacePermissions", store.RoleViewer, func(c matrixCaller, ns string) error {
		id := c.e.putPermission(ns).ID
		res, err := c.perm.list(c.e.ctx, &pb.ListNamespacePermissionsRequest{})
		if err == nil && !slices.ContainsFunc(res.NamespacePermissions, func(p *pb.NamespacePermission) bool { return p.Id == id }) {
			return errNotListed
		}
		return err
	}},
	{"DeleteNamespacePermission", store.RoleAdmin, func(c matrixCaller, ns string) error {
		_, err := c.perm.del(c.e.ctx, &pb.DeleteNamespacePermissionRequest{Id: c.e.putPermission(ns).ID})
		return err
	}},
	{"ListNamespacePermissionGroups", store.RoleViewer, func(c matrixCaller, ns string) error {
		_, err := c.perm.groups(c.e.ctx, &pb.ListNamespacePermissionGroupsRequest{NamespaceId: ns})
		return err
	}},
	{"ListNamespacePermissionUsers", store.RoleViewer, func(c matrixCaller, ns string) error {
		_, err := c.perm.users(c.e.ctx, &pb.ListNamespacePermissionUsersRequest{NamespaceId: ns})
		return err
	}},
}

// TestRBACMatrix runs the role matrix over every RPC of
// PomeriumServiceAccountService and NamespacePermissionService, through
// both transports: reading takes viewer, writing admin.
func TestRBACMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls []roleCall
	for _, transport := range transports {
		for _, r := range matrixRPCs {
			calls = append(calls, roleCall{r.name + " via " + transport, r.need, func(_ context.Context, e *env, token, ns string) error {
				return r.call(matrixCaller{e: e, sa: e.serviceAccountAPI(transport, token), perm: e.permissionAPI(transport, token)}, ns)
			}})
		}
	}
	e.roleMatrix(t, calls)
}

// TestRBACMatrixUsers covers UserService, which is not about one
// namespace: own info for everyone, another user's for Global admins only,
// the directory for a role anywhere.
func TestRBACMatrixUsers(t *testing.T) {
	t.Parallel()
	e, team := directoryEnv(t)
	calls := []struct {
		name string
		call func(api userAPI) error
		any  connect.Code // with a role in Team
		none connect.Code // without a role
	}{
		{"GetUserInfo (own)", func(api userAPI) error { return ignore(api.info(e.ctx, &pb.GetUserInfoRequest{})) }, 0, 0},
		{"GetUserInfo (other)", func(api userAPI) error {
			return ignore(api.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("u-alice")}))
		}, connect.CodePermissionDenied, connect.CodePermissionDenied},
		{"QueryUsers", func(api userAPI) error { return ignore(api.users(e.ctx, &pb.QueryUsersRequest{})) }, 0, connect.CodePermissionDenied},
		{"QueryGroups", func(api userAPI) error { return ignore(api.groups(e.ctx, &pb.QueryGroupsRequest{})) }, 0, connect.CodePermissionDenied},
		{"GetGroupInfo", func(api userAPI) error {
			return ignore(api.group(e.ctx, &pb.GetGroupInfoRequest{GroupId: "devs"}))
		}, 0, connect.CodePermissionDenied},
	}
	for _, role := range []store.Role{"", store.RoleViewer, store.RoleManager, store.RoleAdmin} {
		token := e.account(role, team.ID)
		for _, transport := range transports {
			api := e.userAPI(transport, token)
			for _, c := range calls {
				want := c.any
				if role == "" {
					want = c.none
				}
				if err := c.call(api); codeOf(err) != want {
					t.Errorf("%s by %q of Team via %s: code %v (%v), want %v", c.name, role, transport, codeOf(err), err, want)
				}
			}
		}
	}
}

func ignore[T any](_ T, err error) error { return err }

// putServiceAccount makes a service account in a namespace, directly in
// the store.
func (e *env) putServiceAccount(namespaceID string) *store.ServiceAccount {
	e.t.Helper()
	sa, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: namespaceID, Name: "sa-" + uuid.NewString()}}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return sa
}

// putPermission grants viewer of a namespace to a new user, directly in
// the store.
func (e *env) putPermission(namespaceID string) *store.NamespacePermission {
	e.t.Helper()
	p, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.NamespacePermission{
		ObjectMeta: store.ObjectMeta{NamespaceID: namespaceID}, SubjectType: store.SubjectUser, SubjectID: uuid.NewString(), Role: store.RoleViewer}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

package api_test

import (
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type permissionAPI struct {
	set    rpc[pb.SetNamespacePermissionRequest, pb.SetNamespacePermissionResponse]
	get    rpc[pb.GetNamespacePermissionRequest, pb.GetNamespacePermissionResponse]
	list   rpc[pb.ListNamespacePermissionsRequest, pb.ListNamespacePermissionsResponse]
	del    rpc[pb.DeleteNamespacePermissionRequest, pb.DeleteNamespacePermissionResponse]
	groups rpc[pb.ListNamespacePermissionGroupsRequest, pb.ListNamespacePermissionGroupsResponse]
	users  rpc[pb.ListNamespacePermissionUsersRequest, pb.ListNamespacePermissionUsersResponse]
}

func (e *env) permissionAPI(transport, token string) permissionAPI {
	if transport == "grpc" {
		c := pb.NewNamespacePermissionServiceClient(e.conn)
		return permissionAPI{viaGRPC(token, c.SetNamespacePermission), viaGRPC(token, c.GetNamespacePermission),
			viaGRPC(token, c.ListNamespacePermissions), viaGRPC(token, c.DeleteNamespacePermission),
			viaGRPC(token, c.ListNamespacePermissionGroups), viaGRPC(token, c.ListNamespacePermissionUsers)}
	}
	c := dashboardpbconnect.NewNamespacePermissionServiceClient(e.http, e.url, connectOpts(token)...)
	return permissionAPI{viaConnect(c.SetNamespacePermission), viaConnect(c.GetNamespacePermission),
		viaConnect(c.ListNamespacePermissions), viaConnect(c.DeleteNamespacePermission),
		viaConnect(c.ListNamespacePermissionGroups), viaConnect(c.ListNamespacePermissionUsers)}
}

// grant is a permission to set.
func grant(namespaceID, subjectType, subjectID string, role store.Role) *pb.SetNamespacePermissionRequest {
	return &pb.SetNamespacePermissionRequest{NamespacePermission: &pb.NamespacePermission{
		NamespaceId: namespaceID, SubjectType: subjectType, SubjectId: subjectID, Role: string(role)}}
}

func TestNamespacePermissionLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			team := e.namespace(store.GlobalNamespaceID, "Team")
			app := e.namespace(team.ID, "App")
			if err := e.store.RecordUser(e.ctx, store.User{ID: "u-alice", Email: "Alice@Example.com", Name: "Alice", Groups: []string{"devs"}}); err != nil {
				t.Fatal(err)
			}
			api := e.permissionAPI(transport, e.adminToken())
			set, err := api.set(e.ctx, grant(team.ID, "group", "devs", store.RoleViewer))
			if err != nil {
				t.Fatal(err)
			}
			devs := set.NamespacePermission
			if !store.ValidID(devs.Id) || devs.NamespaceName != "Team" || devs.Version == 0 || devs.CreatedAt == nil || devs.Role != "viewer" {
				t.Fatalf("granted %v", devs)
			}
			for _, req := range []*pb.SetNamespacePermissionRequest{
				grant(team.ID, "user", "alice@example.com", store.RoleManager),
				grant(app.ID, "user", "bob", store.RoleAdmin),
				grant(store.GlobalNamespaceID, "group", "ops", store.RoleViewer),
			} {
				if _, err := api.set(e.ctx, req); err != nil {
					t.Fatal(err)
				}
			}
			got, err := api.get(e.ctx, &pb.GetNamespacePermissionRequest{Id: devs.Id})
			if err != nil || got.NamespacePermission.SubjectId != "devs" || got.NamespacePermission.NamespaceName != "Team" {
				t.Fatalf("get: %v, %v", got, err)
			}
			list, err := api.list(e.ctx, &pb.ListNamespacePermissionsRequest{})
			if err != nil || len(list.NamespacePermissions) != 4 {
				t.Fatalf("list: %v, %v", list, err)
			}

			groups, err := api.groups(e.ctx, &pb.ListNamespacePermissionGroupsRequest{NamespaceId: app.ID})
			if err != nil {
				t.Fatal(err)
			}
			var gotGroups []string
			for _, g := range groups.Groups {
				gotGroups = append(gotGroups, g.NamespaceName+"/"+g.GroupId+"/"+g.GroupName+"/"+g.Role)
			}
			if diff := cmp.Diff([]string{"Team/devs/devs/viewer", "Global/ops/ops/viewer"}, gotGroups); diff != "" {
				t.Errorf("groups of App, nearest first (-want +got):\n%s", diff)
			}
			users, err := api.users(e.ctx, &pb.ListNamespacePermissionUsersRequest{NamespaceId: app.ID})
			if err != nil {
				t.Fatal(err)
			}
			var gotUsers []string
			for _, u := range users.Users {
				gotUsers = append(gotUsers, strings.Join(append([]string{u.NamespaceName, u.UserId, u.UserName, u.UserEmail, u.Role}, u.GroupIds...), "/"))
			}
			if diff := cmp.Diff([]string{"App/bob///admin", "Team/alice@example.com/Alice/Alice@Example.com/manager/devs"}, gotUsers); diff != "" {
				t.Errorf("users of App, nearest first (-want +got):\n%s", diff)
			}

			edit := grant(team.ID, "group", "devs", store.RoleManager)
			edit.NamespacePermission.Id = devs.Id
			edit.ExpectedVersion = new(devs.Version - 1)
			_, err = api.set(e.ctx, edit)
			wantCode(t, "stale set", err, connect.CodeFailedPrecondition, "")
			edit.ExpectedVersion = new(devs.Version)
			if set, err := api.set(e.ctx, edit); err != nil || set.NamespacePermission.Role != "manager" || set.NamespacePermission.Id != devs.Id {
				t.Fatalf("set with the version read: %v, %v", set, err)
			}
			_, err = api.set(e.ctx, grant(team.ID, "group", "devs", store.RoleAdmin))
			wantCode(t, "a second permission of devs in Team", err, connect.CodeAlreadyExists, "subject_id")

			if _, err := api.del(e.ctx, &pb.DeleteNamespacePermissionRequest{Id: devs.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = api.get(e.ctx, &pb.GetNamespacePermissionRequest{Id: devs.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")
			_, err = api.del(e.ctx, &pb.DeleteNamespacePermissionRequest{Id: devs.Id})
			wantCode(t, "delete deleted", err, connect.CodeNotFound, "")
		})
	}
}

func TestNamespacePermissionInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	for _, transport := range transports {
		api := e.permissionAPI(transport, e.adminToken())
		with := func(edit func(*pb.NamespacePermission)) *pb.SetNamespacePermissionRequest {
			req := grant(team.ID, "user", "alice", store.RoleViewer)
			edit(req.NamespacePermission)
			return req
		}
		for _, tc := range []struct {
			name string
			req  *pb.SetNamespacePermissionRequest
			want string
		}{
			{"no permission", &pb.SetNamespacePermissionRequest{}, "namespace_permission: is required"},
			{"subject type", with(func(p *pb.NamespacePermission) { p.SubjectType = "robot" }), "namespace_permission.subject_type: "},
			{"role", with(func(p *pb.NamespacePermission) { p.Role = "owner" }), "namespace_permission.role: "},
			{"no namespace", with(func(p *pb.NamespacePermission) { p.NamespaceId = "" }), "namespace_permission.namespace_id: "},
			{"no subject", with(func(p *pb.NamespacePermission) { p.SubjectId = " " }), "namespace_permission.subject_id: "},
			{"long subject", with(func(p *pb.NamespacePermission) { p.SubjectId = strings.Repeat("s", 300) }), "namespace_permission.subject_id: "},
			{"control character", with(func(p *pb.NamespacePermission) { p.SubjectId = "a\x00b" }), "namespace_permission.subject_id: "},
			{"bad id", with(func(p *pb.NamespacePermission) { p.Id = "nope" }), "namespace_permission.id: must be a UUID"},
		} {
			_, err := api.set(e.ctx, tc.req)
			wantCode(t, transport+" set: "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.get(e.ctx, &pb.GetNamespacePermissionRequest{Id: "nope"})
		wantCode(t, transport+" get: bad id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.del(e.ctx, &pb.DeleteNamespacePermissionRequest{})
		wantCode(t, transport+" delete: no id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.groups(e.ctx, &pb.ListNamespacePermissionGroupsRequest{NamespaceId: "nope"})
		wantCode(t, transport+" groups: bad namespace", err, connect.CodeInvalidArgument, "namespace_id: ")
		_, err = api.users(e.ctx, &pb.ListNamespacePermissionUsersRequest{})
		wantCode(t, transport+" users: no namespace", err, connect.CodeInvalidArgument, "namespace_id: ")

		missing := uuid.NewString()
		_, err = api.get(e.ctx, &pb.GetNamespacePermissionRequest{Id: missing})
		wantCode(t, transport+" get: missing", err, connect.CodeNotFound, "")
		_, err = api.set(e.ctx, with(func(p *pb.NamespacePermission) { p.Id = missing }))
		wantCode(t, transport+" set: missing id", err, connect.CodeNotFound, "")
		_, err = api.set(e.ctx, with(func(p *pb.NamespacePermission) { p.NamespaceId = missing }))
		wantCode(t, transport+" set: missing namespace", err, connect.CodeNotFound, "")
		_, err = api.del(e.ctx, &pb.DeleteNamespacePermissionRequest{Id: missing})
		wantCode(t, transport+" delete: missing", err, connect.CodeNotFound, "")
		_, err = api.users(e.ctx, &pb.ListNamespacePermissionUsersRequest{NamespaceId: missing})
		wantCode(t, transport+" users: missing namespace", err, connect.CodeNotFound, "")
	}
	list, err := e.permissionAPI("grpc", e.adminToken()).list(e.ctx, &pb.ListNamespacePermissionsRequest{})
	if err != nil || len(list.NamespacePermissions) != 0 {
		t.Fatalf("refused writes left permissions behind: %v, %v", list, err)
	}
}

// TestNamespacePermissionNoEscalation: an admin grants only where it is
// admin, never on a namespace it cannot see, and cannot take over a
// permission of a namespace above it by moving it.
func TestNamespacePermissionNoEscalation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	app := e.namespace(team.ID, "App")
	teamGrant, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectUser, SubjectID: "carol", Role: store.RoleViewer}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, transport := range transports {
		appAdmin := e.permissionAPI(transport, e.account(store.RoleAdmin, app.ID))
		if _, err := appAdmin.set(e.ctx, grant(app.ID, "user", "dave"+strconv.Itoa(i), store.RoleAdmin)); err != nil {
			t.Fatalf("%s: admin of App granting admin of App: %v", transport, err)
		}
		_, err := appAdmin.set(e.ctx, grant(team.ID, "user", "dave", store.RoleViewer))
		wantCode(t, transport+" admin of App granting on Team", err, connect.CodeNotFound, "")
		_, err = appAdmin.set(e.ctx, grant(store.GlobalNamespaceID, "user", "dave", store.RoleViewer))
		wantCode(t, transport+" admin of App granting on Global", err, connect.CodeNotFound, "")
		move := grant(app.ID, "user", "carol", store.RoleAdmin)
		move.NamespacePermission.Id = teamGrant.ID
		_, err = appAdmin.set(e.ctx, move)
		wantCode(t, transport+" admin of App moving a permission of Team", err, connect.CodeNotFound, "")
		teamManager := e.permissionAPI(transport, e.account(store.RoleManager, team.ID))
		_, err = teamManager.set(e.ctx, grant(app.ID, "user", "erin", store.RoleViewer))
		wantCode(t, transport+" manager of Team granting viewer of App", err, connect.CodePermissionDenied, "needs admin")
	}
}

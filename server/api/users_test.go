package api_test

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type userAPI struct {
	info   rpc[pb.GetUserInfoRequest, pb.GetUserInfoResponse]
	users  rpc[pb.QueryUsersRequest, pb.QueryUsersResponse]
	groups rpc[pb.QueryGroupsRequest, pb.QueryGroupsResponse]
	group  rpc[pb.GetGroupInfoRequest, pb.GetGroupInfoResponse]
}

func (e *env) userAPI(transport, token string) userAPI {
	if transport == "grpc" {
		c := pb.NewUserServiceClient(e.conn)
		return userAPI{viaGRPC(token, c.GetUserInfo), viaGRPC(token, c.QueryUsers), viaGRPC(token, c.QueryGroups), viaGRPC(token, c.GetGroupInfo)}
	}
	c := dashboardpbconnect.NewUserServiceClient(e.http, e.url, connectOpts(token)...)
	return userAPI{viaConnect(c.GetUserInfo), viaConnect(c.QueryUsers), viaConnect(c.QueryGroups), viaConnect(c.GetGroupInfo)}
}

// directoryEnv is a console that knows two users who signed in (alice in
// devs, carol in devs and ops), a user known only from a permission (an
// email), and a group known only from a permission (admins).
func directoryEnv(t *testing.T) (*env, *store.Namespace) {
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	for _, u := range []store.User{
		{ID: "u-alice", Email: "alice@example.com", Name: "Alice", Groups: []string{"devs"}},
		{ID: "u-carol", Email: "carol@example.com", Name: "Carol", Groups: []string{"devs", "ops"}},
	} {
		if err := e.store.RecordUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	for _, p := range []*store.NamespacePermission{
		{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectUser, SubjectID: "u-alice", Role: store.RoleManager},
		{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectUser, SubjectID: "bob@example.com", Role: store.RoleViewer},
		{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}, SubjectType: store.SubjectGroup, SubjectID: "ops", Role: store.RoleViewer},
		{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectGroup, SubjectID: "admins", Role: store.RoleAdmin},
	} {
		if _, err := store.Put(e.ctx, e.store, actor, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	return e, team
}

func TestUserInfo(t *testing.T) {
	t.Parallel()
	e, team := directoryEnv(t)
	app := e.namespace(team.ID, "App")
	for _, transport := range transports {
		viewerToken := e.account(store.RoleViewer, team.ID)
		viewer := e.userAPI(transport, viewerToken)
		self, err := viewer.info(e.ctx, &pb.GetUserInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{team.ID: "viewer", app.ID: "viewer"}
		if diff := cmp.Diff(want, self.UserInfo.NamespaceRoles); diff != "" || self.UserInfo.Id == "" {
			t.Errorf("%s: own info %v: roles (-want +got):\n%s", transport, self.UserInfo, diff)
		}
		byID, err := viewer.info(e.ctx, &pb.GetUserInfoRequest{UserId: &self.UserInfo.Id})
		if err != nil || byID.UserInfo.Id != self.UserInfo.Id {
			t.Errorf("%s: own info by id: %v, %v", transport, byID, err)
		}
		_, err = viewer.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("u-alice")})
		wantCode(t, transport+" viewer reading another user", err, connect.CodePermissionDenied, "Global")

		admin := e.userAPI(transport, e.adminToken())
		carol, err := admin.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("u-carol")})
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]string{store.GlobalNamespaceID: "viewer", team.ID: "viewer", app.ID: "viewer"}
		if diff := cmp.Diff(want, carol.UserInfo.NamespaceRoles); diff != "" || carol.UserInfo.Name != "Carol" || len(carol.UserInfo.Groups) != 2 {
			t.Errorf("%s: carol %v: roles by the group ops (-want +got):\n%s", transport, carol.UserInfo, diff)
		}
		bob, err := admin.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("bob@example.com")})
		if err != nil || bob.UserInfo.Email != "bob@example.com" || bob.UserInfo.NamespaceRoles[team.ID] != "viewer" {
			t.Errorf("%s: bob, known by a permission: %v, %v", transport, bob, err)
		}
		_, err = admin.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("nobody")})
		wantCode(t, transport+" unknown user", err, connect.CodeNotFound, "")
		_, err = admin.info(e.ctx, &pb.GetUserInfoRequest{ClusterId: new("c")})
		wantCode(t, transport+" cluster", err, connect.CodeInvalidArgument, "cluster_id")

		guest, err := e.userAPI(transport, e.account("", team.ID)).info(e.ctx, &pb.GetUserInfoRequest{})
		if err != nil || len(guest.UserInfo.NamespaceRoles) != 0 {
			t.Errorf("%s: a caller without roles reading its own info: %v, %v", transport, guest, err)
		}
		recovery, err := admin.info(e.ctx, &pb.GetUserInfoRequest{})
		if err != nil || recovery.UserInfo.Id != "recovery:"+store.GlobalNamespaceID || recovery.UserInfo.NamespaceRoles[team.ID] != "admin" {
			t.Errorf("%s: a recovery token's own info: %v, %v", transport, recovery, err)
		}
	}
}

func TestQueryUsersAndGroups(t *testing.T) {
	t.Parallel()
	e, team := directoryEnv(t)
	token := e.account(store.RoleViewer, team.ID)
	for _, transport := range transports {
		api := e.userAPI(transport, token)
		all, err := api.users(e.ctx, &pb.QueryUsersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range all.Users {
			ids = append(ids, u.Id)
		}
		// The calling account holds a permission too: it is a user.
		if all.TotalCount != 4 || len(ids) != 4 || ids[1] != "u-alice" || ids[2] != "bob@example.com" || ids[3] != "u-carol" {
			t.Errorf("%s: users %v (total %d); want the account, alice, bob, carol by email", transport, ids, all.TotalCount)
		}
		page, err := api.users(e.ctx, &pb.QueryUsersRequest{Query: "EXAMPLE", Offset: 1, Limit: 1})
		if err != nil || page.TotalCount != 3 || len(page.Users) != 1 || page.Users[0].Id != "bob@example.com" {
			t.Errorf("%s: second page of one of users matching EXAMPLE: %v, %v", transport, page, err)
		}
		groups, err := api.groups(e.ctx, &pb.QueryGroupsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want := []*pb.GroupInfo{{Id: "admins", Name: "admins"}, {Id: "devs", Name: "devs"}, {Id: "ops", Name: "ops"}}
		if diff := cmp.Diff(want, groups.Groups, protocmp.Transform()); diff != "" || groups.TotalCount != 3 {
			t.Errorf("%s: groups (-want +got):\n%s", transport, diff)
		}
		some, err := api.groups(e.ctx, &pb.QueryGroupsRequest{Query: "S", Limit: 1})
		if err != nil || some.TotalCount != 3 || len(some.Groups) != 1 || some.Groups[0].Id != "admins" {
			t.Errorf("%s: first group matching S: %v, %v", transport, some, err)
		}
		group, err := api.group(e.ctx, &pb.GetGroupInfoRequest{GroupId: "devs"})
		if err != nil || group.GroupInfo.Id != "devs" {
			t.Errorf("%s: group devs: %v, %v", transport, group, err)
		}
		_, err = api.group(e.ctx, &pb.GetGroupInfoRequest{GroupId: "nobody"})
		wantCode(t, transport+" unknown group", err, connect.CodeNotFound, "")
		_, err = api.group(e.ctx, &pb.GetGroupInfoRequest{})
		wantCode(t, transport+" no group id", err, connect.CodeInvalidArgument, "group_id: ")
		_, err = api.users(e.ctx, &pb.QueryUsersRequest{Limit: -1})
		wantCode(t, transport+" negative limit", err, connect.CodeInvalidArgument, "limit: ")
		_, err = api.groups(e.ctx, &pb.QueryGroupsRequest{Offset: -1})
		wantCode(t, transport+" negative offset", err, connect.CodeInvalidArgument, "offset: ")
		_, err = api.groups(e.ctx, &pb.QueryGroupsRequest{ClusterId: new("c")})
		wantCode(t, transport+" cluster", err, connect.CodeInvalidArgument, "cluster_id")
	}
}

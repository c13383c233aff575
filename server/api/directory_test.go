package api_test

import (
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// directoryRecord is a pomerium.io/Directory* record's data.
func directoryRecord(t *testing.T, fields map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func userIDs(list []*pb.UserInfo) []string {
	var out []string
	for _, u := range list {
		out = append(out, u.GetId())
	}
	return out
}

// TestUsersOfTheDatabroker: UserService also finds the people and groups
// a cluster's databroker knows (Pomerium's user records and the
// directory's), merged with those the console knows.
func TestUsersOfTheDatabroker(t *testing.T) {
	t.Parallel()
	e, _ := directoryEnv(t)
	putRecords(t, e.broker, userType, map[string]proto.Message{
		"u-dave":  &userpb.User{Id: "u-dave", Name: "Dave", Email: "dave@example.com"},
		"u-alice": &userpb.User{Id: "u-alice", Name: "Alice From Pomerium", Email: "alice@example.com"},
	})
	putRecords(t, e.broker, "pomerium.io/DirectoryUser", map[string]proto.Message{
		"u-erin": directoryRecord(t, map[string]any{"id": "u-erin", "display_name": "Erin", "email": "erin@corp.example", "group_ids": []any{"g-sec"}}),
	})
	putRecords(t, e.broker, "pomerium.io/DirectoryGroup", map[string]proto.Message{
		"g-sec": directoryRecord(t, map[string]any{"id": "g-sec", "name": "Security", "email": "sec@corp.example"}),
	})
	added, err := e.clusterAPI("grpc", e.adminToken()).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu")})
	if err != nil {
		t.Fatal(err)
	}
	eu := added.Cluster.Id
	putRecords(t, e.addDatabroker(eu), userType, map[string]proto.Message{"u-frank": &userpb.User{Id: "u-frank", Email: "frank@eu.example"}})
	for _, transport := range transports {
		api := e.userAPI(transport, e.adminToken())
		all, err := api.users(e.ctx, &pb.QueryUsersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// The console's users (alice, carol, bob by email) with the
		// databroker's (dave, erin), one entry each, by email.
		want := []string{"u-alice", "bob@example.com", "u-carol", "u-dave", "u-erin"}
		if got := userIDs(all.Users); !slices.Equal(got, want) || all.TotalCount != 5 {
			t.Fatalf("%s: users %v (total %d), want %v", transport, got, all.TotalCount, want)
		}
		if alice := all.Users[0]; alice.Name != "Alice" {
			t.Errorf("%s: the name alice signed in with gave way to the databroker's: %v", transport, alice)
		}
		found, err := api.users(e.ctx, &pb.QueryUsersRequest{Query: "corp.example"})
		if err != nil || !slices.Equal(userIDs(found.Users), []string{"u-erin"}) || found.Users[0].Name != "Erin" ||
			!slices.Equal(found.Users[0].Groups, []string{"g-sec"}) {
			t.Errorf("%s: a user only the directory knows: %v, %v", transport, found.GetUsers(), err)
		}
		inEU, err := api.users(e.ctx, &pb.QueryUsersRequest{Query: "frank", ClusterId: &eu})
		if err != nil || !slices.Equal(userIDs(inEU.Users), []string{"u-frank"}) {
			t.Errorf("%s: eu's user: %v, %v", transport, inEU.GetUsers(), err)
		}
		if notDefault, err := api.users(e.ctx, &pb.QueryUsersRequest{Query: "frank"}); err != nil || len(notDefault.Users) != 0 {
			t.Errorf("%s: eu's user found in the default cluster: %v, %v", transport, notDefault.GetUsers(), err)
		}
		groups, err := api.groups(e.ctx, &pb.QueryGroupsRequest{Query: "secur"})
		if err != nil || len(groups.Groups) != 1 || groups.Groups[0].Id != "g-sec" || groups.Groups[0].Name != "Security" {
			t.Errorf("%s: the directory's group by name: %v, %v", transport, groups.GetGroups(), err)
		}
		group, err := api.group(e.ctx, &pb.GetGroupInfoRequest{GroupId: "g-sec"})
		if err != nil || group.GroupInfo.Name != "Security" {
			t.Errorf("%s: GetGroupInfo of the directory's group: %v, %v", transport, group, err)
		}
		erin, err := api.info(e.ctx, &pb.GetUserInfoRequest{UserId: new("u-erin")})
		if err != nil || erin.UserInfo.Email != "erin@corp.example" || !slices.Equal(erin.UserInfo.Groups, []string{"g-sec"}) {
			t.Errorf("%s: GetUserInfo of a user only the directory knows: %v, %v", transport, erin, err)
		}
		_, err = api.users(e.ctx, &pb.QueryUsersRequest{ClusterId: new("0b8bd2f5-cf39-4d38-a3f3-000000000000")})
		wantCode(t, transport+" unknown cluster", err, connect.CodeNotFound, "cluster_id")
	}
}

// TestUserInfoImpersonated: the caller's own info says when its Pomerium
// session impersonates another.
func TestUserInfoImpersonated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedSessions(t, e.broker)
	putRecords(t, e.broker, sessionType, map[string]proto.Message{
		"s-admin": pomeriumSession("s-admin", "u-admin", admin, time.Now()),
	})
	jwt := sessionAssertion(t, "u-admin", admin, "s-admin")
	users := dashboardpbconnect.NewUserServiceClient(e.http, e.url, connect.WithProtoJSON(), viaPomerium(jwt))
	impersonated := func() bool {
		t.Helper()
		res, err := users.GetUserInfo(e.ctx, connect.NewRequest(&pb.GetUserInfoRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		return res.Msg.UserInfo.IsImpersonated
	}
	if impersonated() {
		t.Fatal("impersonated before impersonating")
	}
	if _, err := e.sessionAPIViaPomerium("grpc", jwt).impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-bob-1"}); err != nil {
		t.Fatal(err)
	}
	if !impersonated() {
		t.Fatal("not impersonated after impersonating")
	}
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{Action: store.ActionImpersonate})
	if err != nil || page.TotalCount != 1 {
		t.Fatalf("activity: %v, %v", page, err)
	}
}

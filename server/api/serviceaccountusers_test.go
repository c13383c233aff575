package api_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestServiceAccountChosenUserID replays what Pomerium's Terraform
// provider does on the dashboard API: it sends its name as user_id on add
// and on every set, and reads the name back as user_id without the suffix
// "@<namespace id>.pomerium".
func TestServiceAccountChosenUserID(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			team := e.namespace(store.GlobalNamespaceID, "Team")
			admin := e.adminToken()
			api := e.serviceAccountAPI(transport, admin)
			suffix := "@" + team.ID + ".pomerium"
			add, err := api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
				UserId: "design-api", NamespaceId: &team.ID, Description: new("design"), OriginatorId: new("terraform")}})
			if err != nil {
				t.Fatal(err)
			}
			sa := add.ServiceAccount
			if sa.UserId != "design-api"+suffix || strings.TrimSuffix(sa.UserId, suffix) != "design-api" || !store.ValidID(sa.Id) || add.JWT == "" {
				t.Fatalf("added %v", sa)
			}
			if id, err := e.whoAmI(transport, add.JWT); err != nil || id != sa.UserId {
				t.Fatalf("the token's user is %q, %v; want %s", id, err, sa.UserId)
			}
			got, err := api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: sa.Id})
			if err != nil || got.ServiceAccount.UserId != sa.UserId {
				t.Fatalf("get: %v, %v", got, err)
			}
			set, err := api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
				Id: sa.Id, UserId: "design-api", NamespaceId: &team.ID, Description: new("design, renamed"), OriginatorId: new("terraform")}})
			if err != nil || set.ServiceAccount.UserId != sa.UserId || set.ServiceAccount.GetDescription() != "design, renamed" {
				t.Fatalf("set with the name as user_id: %v, %v", set, err)
			}
			_, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: sa.Id, UserId: "renamed"}})
			wantCode(t, "set another user_id", err, connect.CodeInvalidArgument, "service_account.user_id: cannot change: service account "+sa.Id)
			_, err = api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{UserId: "design-api", NamespaceId: &team.ID}})
			wantCode(t, "add the same user_id again", err, connect.CodeAlreadyExists, "service_account.user_id: ")

			global, err := api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
				UserId: "ci", NamespaceId: new(store.GlobalNamespaceID)}})
			if err != nil || global.ServiceAccount.UserId != "ci" {
				t.Fatalf("Global account ci: %v, %v", global, err)
			}
			entries, err := e.activityAPI(transport, admin).list(e.ctx, &pb.ListActivityLogEntriesRequest{EntityId: &sa.Id})
			if err != nil || len(entries.Entries) != 2 {
				t.Fatalf("activity of the account: %v, %v", entries, err)
			}
			for _, entry := range entries.Entries {
				if !strings.Contains(entry.EntityData, `"user_id": "design-api`+suffix+`"`) {
					t.Errorf("activity entry %s does not show the user id:\n%s", entry.Id, entry.EntityData)
				}
			}
		})
	}
}

// TestServiceAccountActingAsAUser: an account acting as a user calls with
// that user's roles, nothing more; and nobody makes one that would hold a
// role above their own.
func TestServiceAccountActingAsAUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	admin := e.adminToken()
	if _, err := e.permissionAPI("grpc", admin).set(e.ctx, grant(team.ID, "user", "u-reader", store.RoleViewer)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.permissionAPI("grpc", admin).set(e.ctx, grant(team.ID, "user", "boss"+"@"+team.ID+".pomerium", store.RoleAdmin)); err != nil {
		t.Fatal(err)
	}
	add, err := e.serviceAccountAPI("grpc", admin).add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
		UserId: "u-reader", NamespaceId: new(store.GlobalNamespaceID)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range transports {
		reader := e.serviceAccountAPI(transport, add.JWT)
		if _, err := reader.list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: team.ID}); err != nil {
			t.Errorf("%s: the account acting as a viewer of Team lists Team's accounts: %v", transport, err)
		}
		_, err := reader.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: &team.ID}})
		wantCode(t, transport+": the account acting as a viewer creating an account", err, connect.CodePermissionDenied, "")
		_, err = reader.list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: store.GlobalNamespaceID})
		wantCode(t, transport+": the account acting as a viewer of Team reading Global", err, connect.CodeNotFound, "")

		manager := e.serviceAccountAPI(transport, e.account(store.RoleManager, team.ID))
		_, err = manager.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{UserId: "boss", NamespaceId: &team.ID}})
		wantCode(t, transport+": a manager of Team acting as an admin of Team", err, connect.CodePermissionDenied,
			`service_account.user_id: service_account:`)
		if _, err := manager.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
			UserId: "worker-" + transport, NamespaceId: &team.ID}}); err != nil {
			t.Errorf("%s: a manager of Team creating an account of a new user: %v", transport, err)
		}
	}
}

package api_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type serviceAccountAPI struct {
	add  rpc[pb.AddPomeriumServiceAccountRequest, pb.AddPomeriumServiceAccountResponse]
	set  rpc[pb.SetPomeriumServiceAccountRequest, pb.SetPomeriumServiceAccountResponse]
	get  rpc[pb.GetPomeriumServiceAccountRequest, pb.GetPomeriumServiceAccountResponse]
	list rpc[pb.ListPomeriumServiceAccountsRequest, pb.ListPomeriumServiceAccountsResponse]
	del  rpc[pb.DeletePomeriumServiceAccountRequest, pb.DeletePomeriumServiceAccountResponse]
}

func (e *env) serviceAccountAPI(transport, token string) serviceAccountAPI {
	if transport == "grpc" {
		c := pb.NewPomeriumServiceAccountServiceClient(e.conn)
		return serviceAccountAPI{viaGRPC(token, c.AddPomeriumServiceAccount), viaGRPC(token, c.SetPomeriumServiceAccount),
			viaGRPC(token, c.GetPomeriumServiceAccount), viaGRPC(token, c.ListPomeriumServiceAccounts), viaGRPC(token, c.DeletePomeriumServiceAccount)}
	}
	c := dashboardpbconnect.NewPomeriumServiceAccountServiceClient(e.http, e.url, connectOpts(token)...)
	return serviceAccountAPI{viaConnect(c.AddPomeriumServiceAccount), viaConnect(c.SetPomeriumServiceAccount),
		viaConnect(c.GetPomeriumServiceAccount), viaConnect(c.ListPomeriumServiceAccounts), viaConnect(c.DeletePomeriumServiceAccount)}
}

// whoAmI calls the API with token and returns the id it is known by, or
// the error.
func (e *env) whoAmI(transport, token string) (string, error) {
	res, err := e.userAPI(transport, token).info(e.ctx, &pb.GetUserInfoRequest{})
	if err != nil {
		return "", err
	}
	return res.UserInfo.Id, nil
}

func TestServiceAccountLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			team := e.namespace(store.GlobalNamespaceID, "Team")
			api := e.serviceAccountAPI(transport, e.adminToken())
			expires := time.Now().Add(time.Hour).Truncate(time.Second)
			add, err := api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
				NamespaceId: &team.ID, Description: new("deploy bot"), ExpiresAt: timestamppb.New(expires)}})
			if err != nil {
				t.Fatal(err)
			}
			sa := add.ServiceAccount
			if !store.ValidID(sa.Id) || sa.UserId != sa.Id || sa.GetDescription() != "deploy bot" || !sa.ExpiresAt.AsTime().Equal(expires) ||
				sa.IssuedAt == nil || sa.AccessedAt != nil || sa.Version == 0 || add.JWT == "" {
				t.Fatalf("added %v with token %q", sa, add.JWT)
			}
			if id, err := e.whoAmI(transport, add.JWT); err != nil || id != sa.Id {
				t.Fatalf("the new token is %q, %v; want account %s", id, err, sa.Id)
			}
			got, err := api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: sa.Id})
			if err != nil || got.ServiceAccount.AccessedAt == nil {
				t.Fatalf("get after its token was used: %v, %v; want accessed_at", got, err)
			}
			list, err := api.list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: team.ID})
			if err != nil || len(list.ServiceAccounts) != 1 || list.ServiceAccounts[0].Id != sa.Id || list.ServiceAccounts[0].AccessedAt == nil {
				t.Fatalf("list: %v, %v", list, err)
			}

			edit := &pb.PomeriumServiceAccount{Id: sa.Id, NamespaceId: &team.ID, Description: new("release bot"), ExpiresAt: sa.ExpiresAt}
			_, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: edit, ExpectedVersion: new(sa.Version - 1)})
			wantCode(t, "stale set", err, connect.CodeFailedPrecondition, "")
			set, err := api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: edit, ExpectedVersion: new(sa.Version)})
			if err != nil || set.ServiceAccount.GetDescription() != "release bot" || set.Jwt != "" || set.ServiceAccount.Version <= sa.Version {
				t.Fatalf("set description: %v, %v; want no new token", set, err)
			}
			edit.ExpiresAt = timestamppb.New(expires.Add(time.Hour))
			set, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: edit})
			if err != nil || set.Jwt == "" || !set.ServiceAccount.ExpiresAt.AsTime().Equal(expires.Add(time.Hour)) {
				t.Fatalf("set expiry: %v, %v; want a new token", set, err)
			}
			if id, err := e.whoAmI(transport, set.Jwt); err != nil || id != sa.Id {
				t.Fatalf("the token of the new expiry is %q, %v", id, err)
			}

			if _, err := api.del(e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: sa.Id}); err != nil {
				t.Fatal(err)
			}
			for _, token := range []string{add.JWT, set.Jwt} {
				_, err := e.whoAmI(transport, token)
				wantCode(t, "a token of the deleted account", err, connect.CodeUnauthenticated, "no longer exists")
			}
			_, err = api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: sa.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")
			_, err = api.del(e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: sa.Id})
			wantCode(t, "delete deleted", err, connect.CodeNotFound, "")
		})
	}
}

func TestServiceAccountSetWithoutIDCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, transport := range transports {
		api := e.serviceAccountAPI(transport, e.adminToken())
		set, err := api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: new(store.GlobalNamespaceID)}})
		if err != nil || set.Jwt == "" || !store.ValidID(set.ServiceAccount.Id) {
			t.Fatalf("%s: set without id: %v, %v", transport, set, err)
		}
		if id, err := e.whoAmI(transport, set.Jwt); err != nil || id != set.ServiceAccount.Id {
			t.Fatalf("%s: its token is %q, %v", transport, id, err)
		}
	}
}

func TestServiceAccountInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	other := e.namespace(store.GlobalNamespaceID, "Other")
	for _, transport := range transports {
		api := e.serviceAccountAPI(transport, e.adminToken())
		existing, err := api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: &team.ID}})
		if err != nil {
			t.Fatal(err)
		}
		sa := existing.ServiceAccount
		in := func(edit func(*pb.PomeriumServiceAccount)) *pb.PomeriumServiceAccount {
			m := &pb.PomeriumServiceAccount{NamespaceId: &team.ID}
			edit(m)
			return m
		}
		for _, tc := range []struct {
			name string
			req  *pb.AddPomeriumServiceAccountRequest
			want string
		}{
			{"no account", &pb.AddPomeriumServiceAccountRequest{}, "service_account: is required"},
			{"cluster", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(*pb.PomeriumServiceAccount) {}), ClusterId: new("c")}, "cluster_id"},
			{"chosen id", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) { m.Id = uuid.NewString() })}, "service_account.id"},
			{"user id of another namespace", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) {
				m.UserId = "x@" + other.ID + ".pomerium"
			})}, "service_account.user_id: "},
			{"no namespace", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) { m.NamespaceId = nil })}, "service_account.namespace_id"},
			{"expired", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) {
				m.ExpiresAt = timestamppb.New(time.Now().Add(-time.Minute))
			})}, "service_account.expires_at: "},
			{"bad time", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) {
				m.ExpiresAt = &timestamppb.Timestamp{Nanos: -1}
			})}, "service_account.expires_at: "},
			{"long description", &pb.AddPomeriumServiceAccountRequest{ServiceAccount: in(func(m *pb.PomeriumServiceAccount) {
				m.Description = new(strings.Repeat("d", 5000))
			})}, "service_account.description: "},
		} {
			if tc.name == "bad time" && transport != "grpc" {
				continue // JSON cannot carry a timestamp out of range
			}
			_, err := api.add(e.ctx, tc.req)
			wantCode(t, transport+" add: "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: sa.Id, NamespaceId: &other.ID}})
		wantCode(t, transport+" set: move", err, connect.CodeInvalidArgument, "service_account.namespace_id: cannot change")
		_, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: "nope"}})
		wantCode(t, transport+" set: bad id", err, connect.CodeInvalidArgument, "service_account.id: must be a UUID")
		_, err = api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: "nope"})
		wantCode(t, transport+" get: bad id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.del(e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: "nope"})
		wantCode(t, transport+" delete: bad id", err, connect.CodeInvalidArgument, "id: must be a UUID")
		_, err = api.list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: "nope"})
		wantCode(t, transport+" list: bad namespace", err, connect.CodeInvalidArgument, "namespace: ")
		_, err = api.list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: team.ID, ClusterId: new("c")})
		wantCode(t, transport+" list: cluster", err, connect.CodeInvalidArgument, "cluster_id")

		missing := uuid.NewString()
		_, err = api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: missing})
		wantCode(t, transport+" get: missing", err, connect.CodeNotFound, "")
		_, err = api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: missing}})
		wantCode(t, transport+" set: missing", err, connect.CodeNotFound, "")
		_, err = api.del(e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: missing})
		wantCode(t, transport+" delete: missing", err, connect.CodeNotFound, "")

		got, err := api.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: sa.Id})
		if err != nil || got.ServiceAccount.Version != sa.Version {
			t.Fatalf("%s: a refused set changed the account: %v, %v", transport, got, err)
		}
	}
	for _, ns := range []string{team.ID, other.ID} {
		list, err := e.serviceAccountAPI("grpc", e.adminToken()).list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: ns})
		if err != nil || len(list.ServiceAccounts) != map[string]int{team.ID: 2, other.ID: 0}[ns] {
			t.Fatalf("refused writes left accounts behind in %s: %v, %v", ns, list, err)
		}
	}
}

// TestServiceAccountTokensEnd: a token stops working on the next call after
// its account expires or is deleted; deleting also revokes the account's
// permissions.
func TestServiceAccountTokensEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	for _, transport := range transports {
		api := e.serviceAccountAPI(transport, e.adminToken())
		add, err := api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: &team.ID}})
		if err != nil {
			t.Fatal(err)
		}
		expire := &pb.PomeriumServiceAccount{Id: add.ServiceAccount.Id, ExpiresAt: timestamppb.New(time.Now().Add(-time.Second))}
		if set, err := api.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: expire}); err != nil || set.Jwt != "" {
			t.Fatalf("%s: expiring the account: %v, %v; want no token", transport, set, err)
		}
		_, err = e.whoAmI(transport, add.JWT)
		wantCode(t, transport+" token of an expired account", err, connect.CodeUnauthenticated, "expired")

		add, err = api.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{NamespaceId: &team.ID}})
		if err != nil {
			t.Fatal(err)
		}
		perms := e.permissionAPI(transport, e.adminToken())
		grant, err := perms.set(e.ctx, &pb.SetNamespacePermissionRequest{NamespacePermission: &pb.NamespacePermission{
			NamespaceId: team.ID, SubjectType: "user", SubjectId: add.ServiceAccount.Id, Role: "viewer"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.serviceAccountAPI(transport, add.JWT).list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: team.ID}); err != nil {
			t.Fatalf("%s: the account as viewer of Team: %v", transport, err)
		}
		if _, err := api.del(e.ctx, &pb.DeletePomeriumServiceAccountRequest{Id: add.ServiceAccount.Id}); err != nil {
			t.Fatal(err)
		}
		_, err = e.serviceAccountAPI(transport, add.JWT).list(e.ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: team.ID})
		wantCode(t, transport+" token of a deleted account", err, connect.CodeUnauthenticated, "")
		_, err = perms.get(e.ctx, &pb.GetNamespacePermissionRequest{Id: grant.NamespacePermission.Id})
		wantCode(t, transport+" permission of a deleted account", err, connect.CodeNotFound, "")
	}
}

// TestServiceAccountExpiryNoEscalation: an admin of Team manages the
// accounts in Team, but may not get a new token (by extending the expiry)
// of one that a Global admin made admin of Global.
func TestServiceAccountExpiryNoEscalation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	for _, transport := range transports {
		global := e.serviceAccountAPI(transport, e.adminToken())
		add, err := global.add(e.ctx, &pb.AddPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{
			NamespaceId: &team.ID, ExpiresAt: timestamppb.New(time.Now().Add(time.Hour))}})
		if err != nil {
			t.Fatal(err)
		}
		sa := add.ServiceAccount
		if _, err := e.permissionAPI(transport, e.adminToken()).set(e.ctx, grant(store.GlobalNamespaceID, "user", sa.Id, store.RoleAdmin)); err != nil {
			t.Fatal(err)
		}
		teamAdmin := e.serviceAccountAPI(transport, e.account(store.RoleAdmin, team.ID))
		extend := &pb.PomeriumServiceAccount{Id: sa.Id, ExpiresAt: timestamppb.New(sa.ExpiresAt.AsTime().Add(time.Hour))}
		_, err = teamAdmin.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: extend})
		wantCode(t, transport+" admin of Team extending a Global admin account", err, connect.CodePermissionDenied, "new token")
		_, err = teamAdmin.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: &pb.PomeriumServiceAccount{Id: sa.Id}})
		wantCode(t, transport+" admin of Team removing the expiry of a Global admin account", err, connect.CodePermissionDenied, "new token")
		got, err := global.get(e.ctx, &pb.GetPomeriumServiceAccountRequest{Id: sa.Id})
		if err != nil || got.ServiceAccount.Version != sa.Version {
			t.Fatalf("%s: a refused extension changed the account: %v, %v", transport, got, err)
		}
		shorten := &pb.PomeriumServiceAccount{Id: sa.Id, Description: new("short-lived"), ExpiresAt: timestamppb.New(sa.ExpiresAt.AsTime().Add(-time.Minute))}
		if set, err := teamAdmin.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: shorten}); err != nil || set.Jwt != "" {
			t.Fatalf("%s: admin of Team shortening the expiry: %v, %v; want no token", transport, set, err)
		}
		if set, err := global.set(e.ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: extend}); err != nil || set.Jwt == "" {
			t.Fatalf("%s: Global admin extending the expiry: %v, %v; want a token", transport, set, err)
		}
	}
}

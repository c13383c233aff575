package api_test

import (
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type policyAPI struct {
	get  rpc[pb.GetPolicyRequest, pb.GetPolicyResponse]
	list rpc[pb.ListPoliciesRequest, pb.ListPoliciesResponse]
	set  rpc[pb.SetPolicyRequest, pb.SetPolicyResponse]
	del  rpc[pb.DeletePolicyRequest, pb.DeletePolicyResponse]
}

func (e *env) policyAPI(transport, token string) policyAPI {
	if transport == "grpc" {
		c := pb.NewPolicyServiceClient(e.conn)
		return policyAPI{viaGRPC(token, c.GetPolicy), viaGRPC(token, c.ListPolicies), viaGRPC(token, c.SetPolicy), viaGRPC(token, c.DeletePolicy)}
	}
	c := dashboardpbconnect.NewPolicyServiceClient(e.http, e.url, connectOpts(token)...)
	return policyAPI{viaConnect(c.GetPolicy), viaConnect(c.ListPolicies), viaConnect(c.SetPolicy), viaConnect(c.DeletePolicy)}
}

const allowAll = "allow:\n  or:\n    - accept: true\n"

func TestPolicyLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ns := e.namespace(store.GlobalNamespaceID, "Team")
			api := e.policyAPI(transport, e.account(store.RoleManager, ns.ID))
			set, err := api.set(e.ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns.ID, Name: "office", Ppl: allowAll, Description: "d"}})
			if err != nil {
				t.Fatal(err)
			}
			p := set.Policy
			if p.Id == "" || p.Version == 0 || p.NamespaceName != "Team" || p.Ppl != allowAll {
				t.Fatalf("created %v", p)
			}
			list, err := api.list(e.ctx, &pb.ListPoliciesRequest{Namespace: ns.ID, Query: new("OFF"), Limit: new(int64(10))})
			if err != nil || list.TotalCount != 1 || len(list.Policies) != 1 {
				t.Fatalf("list: %v, %v", list, err)
			}
			_, err = api.set(e.ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{Id: p.Id, NamespaceId: ns.ID, Name: "office", Ppl: allowAll}, ExpectedVersion: new(p.Version - 1)})
			wantCode(t, "stale update", err, connect.CodeFailedPrecondition, "")

			// A route uses it: deleting needs remove_from_any_assigned_routes.
			r := e.route(ns.ID, "app", "https://app.example.com", p.Id)
			got, err := api.get(e.ctx, &pb.GetPolicyRequest{Id: p.Id})
			if err != nil || got.Policy.Routes[r.ID] != "app" {
				t.Fatalf("get: routes %v, %v", got.GetPolicy().GetRoutes(), err)
			}
			_, err = api.del(e.ctx, &pb.DeletePolicyRequest{Id: p.Id})
			wantCode(t, "delete a policy in use", err, connect.CodeFailedPrecondition, "")
			if _, err := api.del(e.ctx, &pb.DeletePolicyRequest{Id: p.Id, RemoveFromAnyAssignedRoutes: true}); err != nil {
				t.Fatal(err)
			}
			after, err := store.Get[*store.Route](e.ctx, e.store, r.ID)
			if err != nil || len(after.Spec.PolicyIds) != 0 {
				t.Fatalf("route after the delete: %v, %v", after, err)
			}
			_, err = api.get(e.ctx, &pb.GetPolicyRequest{Id: p.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")
		})
	}
}

func TestPolicyInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ns := e.namespace(store.GlobalNamespaceID, "Team")
	for _, transport := range transports {
		api := e.policyAPI(transport, e.adminToken())
		for _, tc := range []struct {
			name string
			req  *pb.SetPolicyRequest
			want string
		}{
			{"no policy", &pb.SetPolicyRequest{}, "policy: is required"},
			{"no namespace", &pb.SetPolicyRequest{Policy: &pb.Policy{Name: "x", Ppl: allowAll}}, "policy.namespace_id"},
			{"rego", &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns.ID, Name: "x", Rego: []string{"package pomerium.policy"}}}, "rego"},
			{"bad ppl", &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns.ID, Name: "x", Ppl: "allow:\n  or:\n    - bogus: 1\n"}}, "ppl"},
			{"no name", &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns.ID, Ppl: allowAll}}, "name"},
		} {
			_, err := api.set(e.ctx, tc.req)
			wantCode(t, transport+" "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.list(e.ctx, &pb.ListPoliciesRequest{Namespace: ns.ID, Limit: new(int64(-1))})
		wantCode(t, transport+" negative limit", err, connect.CodeInvalidArgument, "limit")
		_, err = api.list(e.ctx, &pb.ListPoliciesRequest{Namespace: ns.ID, OrderBy: new("size")})
		wantCode(t, transport+" unknown order", err, connect.CodeInvalidArgument, "order_by")
		_, err = api.list(e.ctx, &pb.ListPoliciesRequest{Namespace: ns.ID, ClusterId: new("c1")})
		wantCode(t, transport+" cluster", err, connect.CodeInvalidArgument, "cluster_id")
	}
	got, err := e.store.List(e.ctx, store.KindPolicy, store.ListQuery{})
	if err != nil || got.TotalCount != 0 {
		t.Fatalf("rejected writes left %d policies, %v", got.TotalCount, err)
	}
}

func TestPolicyRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	app := e.namespace(team.ID, "App")
	other := e.namespace(store.GlobalNamespaceID, "Other")
	for _, tc := range []struct {
		role     store.Role
		ns       string
		enforced bool
		want     connect.Code
	}{
		{store.RoleViewer, team.ID, false, connect.CodePermissionDenied},
		{store.RoleManager, team.ID, false, 0},
		{store.RoleManager, app.ID, false, 0}, // inherited from Team
		{store.RoleManager, other.ID, false, connect.CodeNotFound},
		{store.RoleManager, team.ID, true, connect.CodePermissionDenied}, // enforcing takes admin
		{store.RoleAdmin, app.ID, true, 0},
		{"", team.ID, false, connect.CodeNotFound},
	} {
		api := e.policyAPI("grpc", e.account(tc.role, team.ID))
		_, err := api.set(e.ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: tc.ns, Name: "p-" + string(tc.role) + tc.ns[:4], Ppl: allowAll, Enforced: tc.enforced}})
		wantCode(t, "set as "+string(tc.role), err, tc.want, "")
	}
	p := e.policy(other.ID, "secret", false)
	_, err := e.policyAPI("connect-json", e.account(store.RoleAdmin, team.ID)).get(e.ctx, &pb.GetPolicyRequest{Id: p.ID})
	wantCode(t, "admin of Team reading a policy of Other", err, connect.CodeNotFound, "")
}

package api_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRoleMatrix runs the role matrix (roleMatrix) over every RPC of the
// namespace, policy and route services.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.roleMatrix(t, []roleCall{
		{"GetNamespace", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.namespaceAPI("grpc", tok).get(ctx, &pb.GetNamespaceRequest{Id: ns})
			return err
		}},
		{"ListNamespaceResources", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.namespaceAPI("connect-json", tok).resources(ctx, &pb.ListNamespaceResourcesRequest{Ids: []string{ns}})
			return err
		}},
		{"SetNamespace (create below)", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.namespaceAPI("grpc", tok).set(ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: ns, Name: uuid.NewString()}})
			return err
		}},
		{"DeleteNamespace (of a child)", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			child := e.namespace(ns, uuid.NewString())
			_, err := e.namespaceAPI("connect-json", tok).del(ctx, &pb.DeleteNamespaceRequest{Id: child.ID})
			return err
		}},
		{"GetPolicy", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.policyAPI("grpc", tok).get(ctx, &pb.GetPolicyRequest{Id: e.policy(ns, uuid.NewString(), false).ID})
			return err
		}},
		{"ListPolicies", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.policyAPI("connect-json", tok).list(ctx, &pb.ListPoliciesRequest{Namespace: ns})
			return err
		}},
		{"SetPolicy", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.policyAPI("grpc", tok).set(ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns, Name: uuid.NewString(), Ppl: allowAll}})
			return err
		}},
		{"SetPolicy (enforced)", store.RoleAdmin, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.policyAPI("connect-json", tok).set(ctx, &pb.SetPolicyRequest{Policy: &pb.Policy{NamespaceId: ns, Name: uuid.NewString(), Ppl: allowAll, Enforced: true}})
			return err
		}},
		{"DeletePolicy", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.policyAPI("grpc", tok).del(ctx, &pb.DeletePolicyRequest{Id: e.policy(ns, uuid.NewString(), false).ID})
			return err
		}},
		{"GetRoute", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.routeAPI("connect-json", tok).get(ctx, &pb.GetRouteRequest{Id: e.uniqueRoute(ns).ID})
			return err
		}},
		{"ListRoutes", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.routeAPI("grpc", tok).list(ctx, &pb.ListRoutesRequest{Namespace: ns})
			return err
		}},
		{"SetRoute", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			id := uuid.NewString()
			_, err := e.routeAPI("connect-json", tok).set(ctx, &pb.SetRouteRequest{Route: newRoute(ns, id, "https://"+id+".example.com")})
			return err
		}},
		{"SetRoutes", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			id := uuid.NewString()
			_, err := e.routeAPI("grpc", tok).setMany(ctx, &pb.SetRoutesRequest{Routes: []*pb.Route{newRoute(ns, id, "https://"+id+".example.com")}})
			return err
		}},
		{"DeleteRoute", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.routeAPI("connect-json", tok).del(ctx, &pb.DeleteRouteRequest{Id: e.uniqueRoute(ns).ID})
			return err
		}},
		{"DeleteRoutes", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.routeAPI("grpc", tok).delMany(ctx, &pb.DeleteRoutesRequest{Ids: []string{e.uniqueRoute(ns).ID}})
			return err
		}},
		{"MoveRoutes (within)", store.RoleManager, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.routeAPI("connect-json", tok).move(ctx, &pb.MoveRoutesRequest{RouteIds: []string{e.uniqueRoute(ns).ID}, NewNamespaceId: ns})
			return err
		}},
	})
}

// uniqueRoute stores a route with a name and from of its own.
func (e *env) uniqueRoute(ns string) *store.Route {
	id := uuid.NewString()
	return e.route(ns, id, "https://"+id+".example.com")
}

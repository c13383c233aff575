package api_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type namespaceAPI struct {
	get       rpc[pb.GetNamespaceRequest, pb.GetNamespaceResponse]
	list      rpc[pb.ListNamespacesRequest, pb.ListNamespacesResponse]
	set       rpc[pb.SetNamespaceRequest, pb.SetNamespaceResponse]
	del       rpc[pb.DeleteNamespaceRequest, pb.DeleteNamespaceResponse]
	resources rpc[pb.ListNamespaceResourcesRequest, pb.ListNamespaceResourcesResponse]
}

func (e *env) namespaceAPI(transport, token string) namespaceAPI {
	if transport == "grpc" {
		c := pb.NewNamespaceServiceClient(e.conn)
		return namespaceAPI{viaGRPC(token, c.GetNamespace), viaGRPC(token, c.ListNamespaces), viaGRPC(token, c.SetNamespace),
			viaGRPC(token, c.DeleteNamespace), viaGRPC(token, c.ListNamespaceResources)}
	}
	c := dashboardpbconnect.NewNamespaceServiceClient(e.http, e.url, connectOpts(token)...)
	return namespaceAPI{viaConnect(c.GetNamespace), viaConnect(c.ListNamespaces), viaConnect(c.SetNamespace),
		viaConnect(c.DeleteNamespace), viaConnect(c.ListNamespaceResources)}
}

func TestNamespaceLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.namespaceAPI(transport, e.adminToken())
			set, err := api.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: store.GlobalNamespaceID, Name: "Production"}})
			if err != nil {
				t.Fatal(err)
			}
			prod := set.Namespace
			if prod.Id == "" || prod.Version == 0 || prod.ParentId != store.GlobalNamespaceID || prod.CreatedAt == nil {
				t.Fatalf("created namespace %v", prod)
			}
			got, err := api.get(e.ctx, &pb.GetNamespaceRequest{Id: prod.Id})
			if err != nil || got.Namespace.Name != "Production" {
				t.Fatalf("get: %v, %v", got, err)
			}
			list, err := api.list(e.ctx, &pb.ListNamespacesRequest{})
			if err != nil || !slices.ContainsFunc(list.Namespaces, func(n *pb.Namespace) bool { return n.Name == "Production" }) {
				t.Fatalf("list: %v, %v", list, err)
			}

			_, err = api.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: prod.Id, ParentId: store.GlobalNamespaceID, Name: "Prod"}, ExpectedVersion: new(prod.Version - 1)})
			wantCode(t, "stale rename", err, connect.CodeFailedPrecondition, "")
			renamed, err := api.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: prod.Id, ParentId: store.GlobalNamespaceID, Name: "Prod"}, ExpectedVersion: new(prod.Version)})
			if err != nil || renamed.Namespace.Name != "Prod" {
				t.Fatalf("rename: %v, %v", renamed, err)
			}

			child := e.namespace(prod.Id, "Team")
			res, err := api.resources(e.ctx, &pb.ListNamespaceResourcesRequest{Ids: []string{prod.Id}})
			if err != nil || len(res.Resources) != 0 {
				t.Fatalf("resources: %v, %v", res, err)
			}
			_, err = api.del(e.ctx, &pb.DeleteNamespaceRequest{Id: prod.Id})
			wantCode(t, "delete with a child", err, connect.CodeFailedPrecondition, "")
			for _, id := range []string{child.ID, prod.Id} {
				if _, err := api.del(e.ctx, &pb.DeleteNamespaceRequest{Id: id}); err != nil {
					t.Fatalf("delete %s: %v", id, err)
				}
			}
			_, err = api.get(e.ctx, &pb.GetNamespaceRequest{Id: prod.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")
		})
	}
}

func TestNamespaceInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, transport := range transports {
		api := e.namespaceAPI(transport, e.adminToken())
		for _, tc := range []struct {
			name string
			req  *pb.SetNamespaceRequest
			want string
		}{
			{"no namespace", &pb.SetNamespaceRequest{}, "namespace: is required"},
			{"no parent", &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Name: "x"}}, "namespace.parent_id: is required"},
			{"bad id", &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: "nope", ParentId: store.GlobalNamespaceID, Name: "x"}}, "id"},
			{"no name", &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: store.GlobalNamespaceID}}, "namespace.name: is required"},
		} {
			_, err := api.set(e.ctx, tc.req)
			wantCode(t, transport+" "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.get(e.ctx, &pb.GetNamespaceRequest{Id: "not-a-uuid"})
		wantCode(t, transport+" get with a bad id", err, connect.CodeInvalidArgument, "id: must be a UUID")
	}
	list, err := e.namespaceAPI("grpc", e.adminToken()).list(e.ctx, &pb.ListNamespacesRequest{})
	if err != nil || len(list.Namespaces) != 1 {
		t.Fatalf("rejected writes left namespaces behind: %v, %v", list, err)
	}
}

func TestNamespaceRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	app := e.namespace(team.ID, "App")
	other := e.namespace(store.GlobalNamespaceID, "Other")
	viewer := e.namespaceAPI("grpc", e.account(store.RoleViewer, team.ID))
	teamAdmin := e.namespaceAPI("connect-json", e.account(store.RoleAdmin, team.ID))
	guest := e.namespaceAPI("grpc", e.account("", team.ID))

	if _, err := viewer.get(e.ctx, &pb.GetNamespaceRequest{Id: app.ID}); err != nil {
		t.Fatalf("viewer of Team reading App below it: %v", err)
	}
	_, err := viewer.get(e.ctx, &pb.GetNamespaceRequest{Id: other.ID})
	wantCode(t, "viewer of Team reading Other", err, connect.CodeNotFound, "")
	list, err := viewer.list(e.ctx, &pb.ListNamespacesRequest{})
	if err != nil || len(list.Namespaces) != 2 {
		t.Fatalf("viewer's list = %v, %v; want Team and App", list, err)
	}
	_, err = viewer.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: team.ID, Name: "New"}})
	wantCode(t, "viewer creating below Team", err, connect.CodePermissionDenied, "needs manager")
	if _, err := teamAdmin.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: team.ID, Name: "New"}}); err != nil {
		t.Fatalf("admin of Team creating below it: %v", err)
	}
	_, err = teamAdmin.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: team.ID, ParentId: store.GlobalNamespaceID, Name: "Renamed"}})
	wantCode(t, "admin of Team renaming Team (needs manager of Global)", err, connect.CodePermissionDenied, "")
	_, err = teamAdmin.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: app.ID, ParentId: other.ID, Name: "App"}})
	wantCode(t, "admin of Team moving App into Other", err, connect.CodeNotFound, "")
	if list, err := guest.list(e.ctx, &pb.ListNamespacesRequest{}); err != nil || len(list.Namespaces) != 0 {
		t.Fatalf("a caller without roles sees %v, %v", list, err)
	}
	_, err = e.namespaceAPI("grpc", "").list(e.ctx, &pb.ListNamespacesRequest{})
	wantCode(t, "no token", err, connect.CodeUnauthenticated, "")
}

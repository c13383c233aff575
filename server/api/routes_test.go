package api_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type routeAPI struct {
	get     rpc[pb.GetRouteRequest, pb.GetRouteResponse]
	list    rpc[pb.ListRoutesRequest, pb.ListRoutesResponse]
	set     rpc[pb.SetRouteRequest, pb.SetRouteResponse]
	setMany rpc[pb.SetRoutesRequest, pb.SetRoutesResponse]
	del     rpc[pb.DeleteRouteRequest, pb.DeleteRouteResponse]
	delMany rpc[pb.DeleteRoutesRequest, pb.DeleteRoutesResponse]
	move    rpc[pb.MoveRoutesRequest, pb.MoveRoutesResponse]
	load    rpc[pb.LoadRoutesRequest, pb.LoadRoutesResponse]
}

func (e *env) routeAPI(transport, token string) routeAPI {
	if transport == "grpc" {
		c := pb.NewRouteServiceClient(e.conn)
		return routeAPI{viaGRPC(token, c.GetRoute), viaGRPC(token, c.ListRoutes), viaGRPC(token, c.SetRoute), viaGRPC(token, c.SetRoutes),
			viaGRPC(token, c.DeleteRoute), viaGRPC(token, c.DeleteRoutes), viaGRPC(token, c.MoveRoutes), viaGRPC(token, c.LoadRoutes)}
	}
	c := dashboardpbconnect.NewRouteServiceClient(e.http, e.url, connectOpts(token)...)
	return routeAPI{viaConnect(c.GetRoute), viaConnect(c.ListRoutes), viaConnect(c.SetRoute), viaConnect(c.SetRoutes),
		viaConnect(c.DeleteRoute), viaConnect(c.DeleteRoutes), viaConnect(c.MoveRoutes), viaConnect(c.LoadRoutes)}
}

func newRoute(ns, name, from string) *pb.Route {
	return &pb.Route{NamespaceId: ns, Name: name, From: from, To: []string{"https://upstream.internal"}}
}

func TestRouteLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			team := e.namespace(store.GlobalNamespaceID, "Team")
			other := e.namespace(store.GlobalNamespaceID, "Other")
			guard := e.policy(store.GlobalNamespaceID, "guard", true)
			own := e.policy(team.ID, "own", false)
			api := e.routeAPI(transport, e.adminToken())

			in := newRoute(team.ID, "app", "https://app.example.com")
			in.PolicyIds = []string{own.ID}
			set, err := api.set(e.ctx, &pb.SetRouteRequest{Route: in})
			if err != nil {
				t.Fatal(err)
			}
			r := set.Route
			if r.Id == "" || r.Version == 0 || r.NamespaceName != "Team" || !slices.Equal(r.PolicyNames, []string{"own"}) ||
				!slices.Equal(r.EnforcedPolicyIds, []string{guard.ID}) || r.GetSyncStatus().GetOrigin() != "api" {
				t.Fatalf("created %v", r)
			}
			many, err := api.setMany(e.ctx, &pb.SetRoutesRequest{Routes: []*pb.Route{
				newRoute(team.ID, "b", "https://b.example.com"), newRoute(team.ID, "c", "https://c.example.com")}})
			if err != nil || len(many.Routes) != 2 {
				t.Fatalf("set routes: %v, %v", many, err)
			}
			page, err := api.list(e.ctx, &pb.ListRoutesRequest{Namespace: team.ID, Limit: new(int64(2)), OrderBy: new("name")})
			if err != nil || page.TotalCount != 3 || len(page.Routes) != 2 || page.Routes[0].Name != "app" {
				t.Fatalf("first page: %v, %v", page, err)
			}
			found, err := api.list(e.ctx, &pb.ListRoutesRequest{Namespace: team.ID, Query: new("c.example")})
			if err != nil || found.TotalCount != 1 || found.Routes[0].Name != "c" {
				t.Fatalf("query: %v, %v", found, err)
			}

			in.Id, in.To = r.Id, []string{"https://v2.internal"}
			_, err = api.set(e.ctx, &pb.SetRouteRequest{Route: in, ExpectedVersion: new(r.Version - 1)})
			wantCode(t, "stale update", err, connect.CodeFailedPrecondition, "")
			if _, err := api.set(e.ctx, &pb.SetRouteRequest{Route: in, ExpectedVersion: new(r.Version)}); err != nil {
				t.Fatal(err)
			}
			if _, err := api.move(e.ctx, &pb.MoveRoutesRequest{RouteIds: []string{r.Id}, NewNamespaceId: other.ID}); err != nil {
				t.Fatal(err)
			}
			got, err := api.get(e.ctx, &pb.GetRouteRequest{Id: r.Id})
			if err != nil || got.Route.NamespaceId != other.ID || got.Route.To[0] != "https://v2.internal" {
				t.Fatalf("after move: %v, %v", got, err)
			}
			if _, err := api.delMany(e.ctx, &pb.DeleteRoutesRequest{Ids: []string{many.Routes[0].Id, many.Routes[1].Id}}); err != nil {
				t.Fatal(err)
			}
			if _, err := api.del(e.ctx, &pb.DeleteRouteRequest{Id: r.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = api.get(e.ctx, &pb.GetRouteRequest{Id: r.Id})
			wantCode(t, "get deleted", err, connect.CodeNotFound, "")

			loaded, err := api.load(e.ctx, &pb.LoadRoutesRequest{Name: "config.yaml", Contents: []byte(
				"routes:\n- from: https://imported.example.com\n  to: http://imported.internal\n  allowed_users: [a@example.com]\n")})
			if err != nil || len(loaded.Routes) != 1 || loaded.Routes[0].Route.From != "https://imported.example.com" || len(loaded.Routes[0].Policies) != 1 {
				t.Fatalf("load: %v, %v", loaded, err)
			}
		})
	}
}

func TestRouteInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	hidden := e.policy(e.namespace(store.GlobalNamespaceID, "Hidden").ID, "hidden", false)
	manager := e.account(store.RoleManager, team.ID)
	for _, transport := range transports {
		api := e.routeAPI(transport, manager)
		withPolicy := newRoute(team.ID, "p", "https://p.example.com")
		withPolicy.PolicyIds = []string{hidden.ID}
		for _, tc := range []struct {
			name string
			req  *pb.SetRouteRequest
			want string
		}{
			{"no route", &pb.SetRouteRequest{}, "route: is required"},
			{"no scheme", &pb.SetRouteRequest{Route: newRoute(team.ID, "x", "x.example.com")}, "route.from"},
			{"bad namespace", &pb.SetRouteRequest{Route: newRoute("nope", "x", "https://x.example.com")}, "route.namespace_id"},
			{"policy the caller cannot see", &pb.SetRouteRequest{Route: withPolicy}, "route.policy_ids[0]"},
		} {
			_, err := api.set(e.ctx, tc.req)
			wantCode(t, transport+" "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.setMany(e.ctx, &pb.SetRoutesRequest{Routes: []*pb.Route{newRoute(team.ID, "ok", "https://ok.example.com"), newRoute(team.ID, "bad", "bad")}})
		wantCode(t, transport+" one bad route of two", err, connect.CodeInvalidArgument, "routes[1].from")
		_, err = e.routeAPI(transport, e.adminToken()).load(e.ctx, &pb.LoadRoutesRequest{Contents: []byte("routes: [")})
		wantCode(t, transport+" broken YAML", err, connect.CodeInvalidArgument, "")
	}
	got, err := e.store.List(e.ctx, store.KindRoute, store.ListQuery{})
	if err != nil || got.TotalCount != 0 {
		t.Fatalf("rejected writes left %d routes, %v", got.TotalCount, err)
	}
}

func TestRouteRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	app := e.namespace(team.ID, "App")
	other := e.namespace(store.GlobalNamespaceID, "Other")
	inApp := e.route(app.ID, "app", "https://app.example.com")
	inOther := e.route(other.ID, "other", "https://other.example.com")
	viewer := e.routeAPI("grpc", e.account(store.RoleViewer, team.ID))
	manager := e.routeAPI("connect-json", e.account(store.RoleManager, team.ID))

	if _, err := viewer.get(e.ctx, &pb.GetRouteRequest{Id: inApp.ID}); err != nil {
		t.Fatalf("viewer of Team reading a route of App: %v", err)
	}
	_, err := viewer.get(e.ctx, &pb.GetRouteRequest{Id: inOther.ID})
	wantCode(t, "viewer reading a route of Other", err, connect.CodeNotFound, "")
	_, err = viewer.set(e.ctx, &pb.SetRouteRequest{Route: newRoute(app.ID, "new", "https://new.example.com")})
	wantCode(t, "viewer writing", err, connect.CodePermissionDenied, "")
	_, err = viewer.del(e.ctx, &pb.DeleteRouteRequest{Id: inApp.ID})
	wantCode(t, "viewer deleting", err, connect.CodePermissionDenied, "")
	if _, err := manager.set(e.ctx, &pb.SetRouteRequest{Route: newRoute(app.ID, "new", "https://new.example.com")}); err != nil {
		t.Fatalf("manager of Team writing in App: %v", err)
	}
	_, err = manager.move(e.ctx, &pb.MoveRoutesRequest{RouteIds: []string{inApp.ID}, NewNamespaceId: other.ID})
	wantCode(t, "manager moving a route into Other", err, connect.CodeNotFound, "")
	_, err = manager.move(e.ctx, &pb.MoveRoutesRequest{RouteIds: []string{inOther.ID}, NewNamespaceId: app.ID})
	wantCode(t, "manager moving a route out of Other", err, connect.CodeNotFound, "route_ids[0]")
	hijack := newRoute(app.ID, "other", "https://other.example.com")
	hijack.Id = inOther.ID
	_, err = manager.set(e.ctx, &pb.SetRouteRequest{Route: hijack})
	wantCode(t, "manager overwriting a route of Other by id", err, connect.CodeNotFound, "route.id")
	_, err = manager.load(e.ctx, &pb.LoadRoutesRequest{Contents: []byte("routes: []\n")})
	wantCode(t, "manager of Team loading into Global", err, connect.CodePermissionDenied, "")
	list, err := manager.list(e.ctx, &pb.ListRoutesRequest{Namespace: app.ID})
	if err != nil || list.TotalCount != 2 {
		t.Fatalf("manager's list of App: %v, %v", list, err)
	}
}

func TestWritesAreLoggedWithTheCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	set, err := e.routeAPI("grpc", e.adminToken()).set(e.ctx, &pb.SetRouteRequest{Route: newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityID: set.Route.Id})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("activity: %v, %v", page, err)
	}
	if got, want := page.Entries[0].Subject, "recovery:"+store.GlobalNamespaceID; got != want || page.Entries[0].Origin != store.OriginAPI {
		t.Errorf("logged as %q (%s), want %q (api)", got, page.Entries[0].Origin, want)
	}
}

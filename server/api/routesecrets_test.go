package api_test

import (
	"testing"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRouteSecretsOnlyForManagers: a viewer reads a route without its
// secrets; a manager, who may change them, reads them.
func TestRouteSecretsOnlyForManagers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	in := newRoute(team.ID, "app", "https://app.example.com")
	in.IdpClientSecret = new("idp-secret")
	in.KubernetesServiceAccountToken = new("kube-token")
	in.Mcp = &pb.MCP{Mode: &pb.MCP_Server{Server: &pb.MCPServer{UpstreamOauth2: &pb.UpstreamOAuth2{ClientId: "id", ClientSecret: "oauth-secret"}}}}
	set, err := e.routeAPI("grpc", e.adminToken()).set(e.ctx, &pb.SetRouteRequest{Route: in})
	if err != nil {
		t.Fatal(err)
	}
	id := set.Route.Id
	for _, transport := range transports {
		viewer := e.routeAPI(transport, e.account(store.RoleViewer, team.ID))
		got, err := viewer.get(e.ctx, &pb.GetRouteRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		r := got.Route
		if r.IdpClientSecret != nil || r.KubernetesServiceAccountToken != nil || r.GetMcp().GetServer().GetUpstreamOauth2().GetClientSecret() != "" {
			t.Errorf("%s: a viewer reads the route's secrets: %v", transport, r)
		}
		if r.GetMcp().GetServer().GetUpstreamOauth2().GetClientId() != "id" {
			t.Errorf("%s: redaction took more than the secrets: %v", transport, r.GetMcp())
		}
		list, err := viewer.list(e.ctx, &pb.ListRoutesRequest{Namespace: team.ID})
		if err != nil || len(list.Routes) != 1 || list.Routes[0].IdpClientSecret != nil {
			t.Errorf("%s: list to a viewer: %v, %v", transport, list, err)
		}
		manager := e.routeAPI(transport, e.account(store.RoleManager, team.ID))
		got, err = manager.get(e.ctx, &pb.GetRouteRequest{Id: id})
		if err != nil || got.Route.GetIdpClientSecret() != "idp-secret" || got.Route.GetKubernetesServiceAccountToken() != "kube-token" ||
			got.Route.GetMcp().GetServer().GetUpstreamOauth2().GetClientSecret() != "oauth-secret" {
			t.Errorf("%s: a manager does not read the secrets: %v, %v", transport, got, err)
		}
	}
}

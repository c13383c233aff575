package api_test

import (
	"encoding/base64"
	"testing"

	"connectrpc.com/connect"

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

// TestLoadRoutesKeyPairsTakeAdmin: a manager of Global may load routes, but
// not the key pair an inline tls_custom_ca would become; nothing is
// written then. An admin may.
func TestLoadRoutesKeyPairsTakeAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ca, _ := certificate(t, "upstream-ca.example.com")
	config := []byte("routes:\n  - from: https://app.example.com\n    to: https://app.internal\n    tls_custom_ca: " +
		base64.StdEncoding.EncodeToString(ca) + "\n")
	manager := e.account(store.RoleManager, store.GlobalNamespaceID)
	before, err := e.store.Version(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range transports {
		_, err := e.routeAPI(transport, manager).load(e.ctx, &pb.LoadRoutesRequest{Contents: config})
		wantCode(t, transport+" manager loads a CA", err, connect.CodePermissionDenied, "key pair")
	}
	if after, err := e.store.Version(e.ctx); err != nil || after != before {
		t.Fatalf("store version %d after refused loads, want %d (%v)", after, before, err)
	}
	loaded, err := e.routeAPI("grpc", e.adminToken()).load(e.ctx, &pb.LoadRoutesRequest{Contents: config})
	if err != nil || len(loaded.Routes) != 1 {
		t.Fatalf("admin loads a CA: %v, %v", loaded, err)
	}
}

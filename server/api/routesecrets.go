package api

import (
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// A route's secrets (the IdP client secret, the Kubernetes service account
// token, an MCP server's upstream OAuth2 client secret) are shown only to
// callers who may change the route, managers of its namespace: with them a
// viewer could impersonate the route to the identity provider or to a
// cluster.
var routeSecrets = fieldsOf((&pb.Route{}).ProtoReflect().Descriptor(),
	"idp_client_secret", "kubernetes_service_account_token",
)

// redactRoute clears the secrets of r.
func redactRoute(r *pb.Route) {
	m := r.ProtoReflect()
	for _, f := range routeSecrets {
		m.Clear(f)
	}
	if oauth := r.GetMcp().GetServer().GetUpstreamOauth2(); oauth != nil {
		oauth.ClientSecret = ""
	}
}

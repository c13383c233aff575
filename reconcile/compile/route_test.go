package compile

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// routeState is a tree with policies and key pairs of every kind a route
// can reference.
func routeState(t testing.TB) *store.State {
	return &store.State{
		Namespaces: tree(),
		Policies: []*store.Policy{
			policy(policyID(1), nsGlobal, "ok", allowAll, false),
			policy(policyID(2), nsGlobal, "broken", "allow:\n  and:\n    - email: {equals: a@example.com}\n", false),
		},
		KeyPairs: []*store.KeyPair{
			keyPair(keyPairID(1), nsGlobal, "ca", readTestdata(t, "ca.pem"), nil),
			keyPair(keyPairID(2), nsGlobal, "client", readTestdata(t, "client.pem"), readTestdata(t, "client-key.pem")),
			keyPair(keyPairID(3), nsGlobal, "garbage", []byte("not pem"), nil),
		},
	}
}

func compileOneRoute(t *testing.T, spec *configpb.Route) (*Result, Status) {
	t.Helper()
	st := routeState(t)
	st.Routes = []*store.Route{route(routeID(1), nsApp, "app", spec)}
	res := Compile(st)
	return res, res.Status[ObjectKey{store.KindRoute, routeID(1)}]
}

func invalid(field, reason string) Status { return Status{Field: field, Reason: reason} }

func TestRouteValidation(t *testing.T) {
	t.Parallel()
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	clientCert, clientKey := b64(readTestdata(t, "client.pem")), b64(readTestdata(t, "client-key.pem"))
	to := []string{"https://upstream.internal"}
	for _, tc := range []struct {
		name string
		spec *configpb.Route
		want Status
	}{
		{"https", &configpb.Route{From: "https://app.example.com", To: to}, validStatus()},
		{"http with slash", &configpb.Route{From: "http://app.example.com/", To: to}, validStatus()},
		{"tcp+https", &configpb.Route{From: "tcp+https://db.example.com:5432", To: []string{"tcp://db.internal:5432"}}, validStatus()},
		{"tcp+https via path", &configpb.Route{From: "tcp+https://proxy.example.com/db.example.com:5432", To: []string{"tcp://db.internal:5432"}}, validStatus()},
		{"udp+https", &configpb.Route{From: "udp+https://dns.example.com:53", To: []string{"udp://10.0.0.53:53"}}, validStatus()},
		{"ssh", &configpb.Route{From: "ssh://host", To: []string{"ssh://host.internal:22"}}, validStatus()},
		{"every to scheme", &configpb.Route{From: "https://a.example.com", To: []string{"http://a", "https://b", "h2c://c"}}, validStatus()},
		{"unix upstream", &configpb.Route{From: "https://a.example.com", To: []string{"unix:///run/app.sock"}}, validStatus()},
		{"weighted", &configpb.Route{From: "https://a.example.com", To: []string{"https://a,1", "https://b,3"}}, validStatus()},
		{"redirect only", &configpb.Route{From: "https://a.example.com", Redirect: &configpb.RouteRedirect{HostRedirect: new("b.example.com"), ResponseCode: new(int32(308))}}, validStatus()},
		{"response only", &configpb.Route{From: "https://a.example.com", Response: &configpb.RouteDirectResponse{Status: 204}}, validStatus()},
		{"regexes", &configpb.Route{From: "https://a.example.com", To: to, Regex: `^/api/v[0-9]+/.*`, RegexRewritePattern: `^/api/(.*)`, HostPathRegexRewritePattern: new(`^/(.+)$`)}, validStatus()},
		{"inline client certificate", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: clientCert, TlsClientKey: clientKey}, validStatus()},
		{"policies", &configpb.Route{From: "https://a.example.com", To: to, PolicyIds: []string{policyID(1)}}, validStatus()},
		{"key pairs", &configpb.Route{From: "https://a.example.com", To: to, TlsCustomCaKeyPairId: new(keyPairID(1)), TlsClientKeyPairId: new(keyPairID(2)), TlsDownstreamClientCaKeyPairId: new(keyPairID(1)), KubernetesServiceAccountTokenKeyPairId: new(keyPairID(2))}, validStatus()},
		{"depends on", &configpb.Route{From: "https://a.example.com", To: to, DependsOn: []string{"b.example.com", "https://c.example.com/x"}}, validStatus()},
		{"mcp", &configpb.Route{From: "https://a.example.com", To: to, Mcp: &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{AuthorizationServerUrl: new("https://as.example.com")}}}}, validStatus()},
		{"ssh policy", &configpb.Route{From: "ssh://h", UpstreamTunnel: &configpb.UpstreamTunnel{SshPolicy: &configpb.PPLPolicy{Raw: []byte(allowAll)}, SshPolicyId: new(policyID(1))}, To: []string{"ssh://h:22"}}, validStatus()},

		{"from empty", &configpb.Route{To: to}, invalid("spec.from", "is required")},
		{"from without scheme", &configpb.Route{From: "app.example.com", To: to}, invalid("spec.from", `"app.example.com" has no scheme: write e.g. https://app.example.com`)},
		{"from host:port without scheme", &configpb.Route{From: "app.example.com:443", To: to}, invalid("spec.from", `"app.example.com:443" has no scheme: write e.g. https://app.example.com:443`)},
		{"from scheme", &configpb.Route{From: "ftp://app.example.com", To: to}, invalid("spec.from", `scheme "ftp" is not one of http, https, tcp+https, udp+https, ssh`)},
		{"from plain tcp", &configpb.Route{From: "tcp://db.example.com:5432", To: to}, invalid("spec.from", `scheme "tcp" is not served: write tcp+https://host:port`)},
		{"from without host", &configpb.Route{From: "https:///path", To: to}, invalid("spec.from", `"https:///path" has no host`)},
		{"from with path", &configpb.Route{From: "https://a.example.com/admin", To: to}, invalid("spec.from", `"https://a.example.com/admin" has a path: match paths with the path, prefix or regex fields instead`)},
		{"from unparsable", &configpb.Route{From: "https://a b", To: to}, invalid("spec.from", `parse "https://a b": invalid character " " in host name`)},
		{"tcp without port", &configpb.Route{From: "tcp+https://db.example.com", To: to}, invalid("spec.from", "tcp+https routes need a port: write tcp+https://db.example.com:PORT")},
		{"tcp path without port", &configpb.Route{From: "tcp+https://proxy.example.com/db.example.com", To: to}, invalid("spec.from", `tunnel destination "db.example.com" is not host:port`)},

		{"no action", &configpb.Route{From: "https://a.example.com"}, invalid("spec.to", "a route needs to, redirect or response")},
		{"empty redirect is no action", &configpb.Route{From: "https://a.example.com", Redirect: &configpb.RouteRedirect{}}, invalid("spec.to", "a route needs to, redirect or response")},
		{"to without scheme", &configpb.Route{From: "https://a.example.com", To: []string{"https://ok", "upstream:8080"}}, invalid("spec.to[1]", `scheme "upstream" is not one of http, https, h2c, tcp, udp, ssh, unix, https+unix`)},
		{"to relative", &configpb.Route{From: "https://a.example.com", To: []string{"/path"}}, invalid("spec.to[0]", `"/path" has no scheme`)},
		{"to without host", &configpb.Route{From: "https://a.example.com", To: []string{"https://"}}, invalid("spec.to[0]", `"https://" has no host`)},
		{"to scheme", &configpb.Route{From: "https://a.example.com", To: []string{"ftp://files"}}, invalid("spec.to[0]", `scheme "ftp" is not one of http, https, h2c, tcp, udp, ssh, unix, https+unix`)},
		{"to bad weight", &configpb.Route{From: "https://a.example.com", To: []string{"https://a,x"}}, invalid("spec.to[0]", `weight "x" is not a positive integer`)},
		{"to zero weight", &configpb.Route{From: "https://a.example.com", To: []string{"https://a,0"}}, invalid("spec.to[0]", `weight "0" is not a positive integer`)},
		{"to partial weights", &configpb.Route{From: "https://a.example.com", To: []string{"https://a,1", "https://b"}}, invalid("spec.to", "either every upstream URL has a weight or none has")},
		{"to mixes tcp", &configpb.Route{From: "tcp+https://a.example.com:22", To: []string{"tcp://a:22", "https://b"}}, invalid("spec.to", "cannot mix tcp and other upstream schemes")},
		{"to mixes unix", &configpb.Route{From: "https://a.example.com", To: []string{"unix:///a.sock", "https://b"}}, invalid("spec.to", "cannot mix unix and other upstream schemes")},
		{"lb weights count", &configpb.Route{From: "https://a.example.com", To: []string{"https://a", "https://b"}, LoadBalancingWeights: []uint32{1}}, invalid("spec.load_balancing_weights", "has 1 weights for 2 upstream URLs; Pomerium would ignore them")},
		{"redirect code", &configpb.Route{From: "https://a.example.com", Redirect: &configpb.RouteRedirect{ResponseCode: new(int32(300))}}, invalid("spec.redirect.response_code", "300 is not one of 301, 302, 303, 307, 308")},
		{"response status", &configpb.Route{From: "https://a.example.com", Response: &configpb.RouteDirectResponse{Status: 99}}, invalid("spec.response.status", "99 is not an HTTP status between 200 and 599")},
		{"prefix", &configpb.Route{From: "https://a.example.com", To: to, Prefix: "admin"}, invalid("spec.prefix", `"admin" must start with /`)},
		{"path", &configpb.Route{From: "https://a.example.com", To: to, Path: "admin"}, invalid("spec.path", `"admin" must start with /`)},
		{"regex", &configpb.Route{From: "https://a.example.com", To: to, Regex: "^/(a"}, invalid("spec.regex", "error parsing regexp: missing closing ): `^/(a`")},
		{"regex rewrite", &configpb.Route{From: "https://a.example.com", To: to, RegexRewritePattern: "[z-a]"}, invalid("spec.regex_rewrite_pattern", "error parsing regexp: invalid character class range: `z-a`")},
		{"host path regex", &configpb.Route{From: "https://a.example.com", To: to, HostPathRegexRewritePattern: new("a**")}, invalid("spec.host_path_regex_rewrite_pattern", "error parsing regexp: invalid nested repetition operator: `**`")},
		{"regex lookahead", &configpb.Route{From: "https://a.example.com", To: to, Regex: "^/(?!admin)"}, invalid("spec.regex", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`")},
		{"two rewrites", &configpb.Route{From: "https://a.example.com", To: to, PrefixRewrite: "/", RegexRewritePattern: "^/a"}, invalid("spec.regex_rewrite_pattern", "only one of prefix_rewrite and regex_rewrite_pattern may be set")},
		{"public with users", &configpb.Route{From: "https://a.example.com", To: to, AllowPublicUnauthenticatedAccess: true, AllowedUsers: []string{"u"}}, invalid("spec.allow_public_unauthenticated_access", "a public route cannot also list allowed users or domains or require authentication")},
		{"public and authenticated", &configpb.Route{From: "https://a.example.com", To: to, AllowPublicUnauthenticatedAccess: true, AllowAnyAuthenticatedUser: true}, invalid("spec.allow_public_unauthenticated_access", "a public route cannot also list allowed users or domains or require authentication")},
		{"authenticated with domains", &configpb.Route{From: "https://a.example.com", To: to, AllowAnyAuthenticatedUser: true, AllowedDomains: []string{"example.com"}}, invalid("spec.allow_any_authenticated_user", "a route open to any authenticated user cannot also list allowed users or domains")},
		{"client cert without key", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: clientCert}, invalid("spec.tls_client_cert", "tls_client_cert and tls_client_key must both be set")},
		{"client cert not base64", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: "-----BEGIN", TlsClientKey: clientKey}, invalid("spec.tls_client_cert", "is not base64: illegal base64 data at input byte 0")},
		{"client key not base64", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: clientCert, TlsClientKey: "!"}, invalid("spec.tls_client_key", "is not base64: illegal base64 data at input byte 0")},
		{"client cert mismatch", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: b64(readTestdata(t, "ca.pem")), TlsClientKey: clientKey}, invalid("spec.tls_client_cert", "tls: private key does not match public key")},
		{"client cert and key pair", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCert: clientCert, TlsClientKey: clientKey, TlsClientKeyPairId: new(keyPairID(2))}, invalid("spec.tls_client_key_pair_id", "set either tls_client_key_pair_id or tls_client_cert and tls_client_key, not both")},
		{"custom ca not base64", &configpb.Route{From: "https://a.example.com", To: to, TlsCustomCa: "-----BEGIN CERTIFICATE-----"}, invalid("spec.tls_custom_ca", "is not base64: illegal base64 data at input byte 0")},
		{"custom ca and key pair", &configpb.Route{From: "https://a.example.com", To: to, TlsCustomCa: "AAAA", TlsCustomCaKeyPairId: new(keyPairID(1))}, invalid("spec.tls_custom_ca", "set either tls_custom_ca or tls_custom_ca_key_pair_id, not both")},
		{"downstream ca not base64", &configpb.Route{From: "https://a.example.com", To: to, TlsDownstreamClientCa: "%"}, invalid("spec.tls_downstream_client_ca", "is not base64: illegal base64 data at input byte 0")},
		{"custom ca file", &configpb.Route{From: "https://a.example.com", To: to, TlsCustomCaFile: "/etc/ca.pem"}, invalid("spec.tls_custom_ca_file", "names a file on the Pomerium host, which the console cannot check; use a key pair instead")},
		{"client cert file", &configpb.Route{From: "https://a.example.com", To: to, TlsClientCertFile: "/c", TlsClientKeyFile: "/k"}, invalid("spec.tls_client_cert_file", "names a file on the Pomerium host, which the console cannot check; use a key pair instead")},
		{"downstream ca file", &configpb.Route{From: "https://a.example.com", To: to, TlsDownstreamClientCaFile: "/ca"}, invalid("spec.tls_downstream_client_ca_file", "names a file on the Pomerium host, which the console cannot check; use a key pair instead")},
		{"k8s token and file", &configpb.Route{From: "https://a.example.com", To: to, KubernetesServiceAccountToken: "t", KubernetesServiceAccountTokenFile: "/f"}, invalid("spec.kubernetes_service_account_token", "set either kubernetes_service_account_token or kubernetes_service_account_token_file, not both")},
		{"k8s token and key pair", &configpb.Route{From: "https://a.example.com", To: to, KubernetesServiceAccountToken: "t", KubernetesServiceAccountTokenKeyPairId: new(keyPairID(2))}, invalid("spec.kubernetes_service_account_token_key_pair_id", "set either the key pair or the token, not both")},
		{"depends on count", &configpb.Route{From: "https://a.example.com", To: to, DependsOn: []string{"a", "b", "c", "d", "e", "f"}}, invalid("spec.depends_on", "lists 6 hosts, at most 5 allowed")},
		{"depends on url", &configpb.Route{From: "https://a.example.com", To: to, DependsOn: []string{"a", "b/c"}}, invalid("spec.depends_on[1]", `"b/c" is neither a host nor an absolute URL`)},
		{"mcp http", &configpb.Route{From: "https://a.example.com", To: to, Mcp: &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{AuthorizationServerUrl: new("http://as.example.com")}}}}, invalid("spec.mcp.server.authorization_server_url", `"http://as.example.com" must be an https URL`)},
		{"mcp relative", &configpb.Route{From: "https://a.example.com", To: to, Mcp: &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{AuthorizationServerUrl: new("/as")}}}}, invalid("spec.mcp.server.authorization_server_url", `"/as" has no scheme`)},
		{"inline policies", &configpb.Route{From: "https://a.example.com", To: to, Policies: []*configpb.Policy{{}}}, invalid("spec.policies", "inline policies are not supported: create a policy and list its id in policy_ids")},
		{"inline ppl", &configpb.Route{From: "https://a.example.com", To: to, PplPolicies: []*configpb.PPLPolicy{{Raw: []byte(allowAll)}}}, invalid("spec.ppl_policies", "inline policies are not supported: create a policy and list its id in policy_ids")},
		{"ssh policy rego", &configpb.Route{From: "ssh://h", To: []string{"ssh://h:22"}, UpstreamTunnel: &configpb.UpstreamTunnel{SshPolicyRego: []string{"package x"}}}, invalid("spec.upstream_tunnel.ssh_policy_rego", "raw Rego is not supported: use ssh_policy_id or ssh_policy")},
		{"ssh policy ppl", &configpb.Route{From: "ssh://h", To: []string{"ssh://h:22"}, UpstreamTunnel: &configpb.UpstreamTunnel{SshPolicy: &configpb.PPLPolicy{Raw: []byte("allow: {and: [{date: x}]}")}}}, invalid("spec.upstream_tunnel.ssh_policy", `allow.and[0]: unknown criterion "date"`)},
		{"invalid utf-8", &configpb.Route{From: "https://a.example.com", To: to, Description: new("\xff")}, invalid("spec", "cannot be encoded: string field contains invalid UTF-8")},

		{"missing policy", &configpb.Route{From: "https://a.example.com", To: to, PolicyIds: []string{policyID(1), policyID(9)}}, invalid("spec.policy_ids[1]", "policy "+policyID(9)+" does not exist")},
		{"invalid policy", &configpb.Route{From: "https://a.example.com", To: to, PolicyIds: []string{policyID(2)}}, invalid("spec.policy_ids[0]", `policy "broken" (`+policyID(2)+`) is invalid: ppl: allow.and[0].email: unknown matcher "equals"`)},
		{"missing ssh policy", &configpb.Route{From: "ssh://h", To: []string{"ssh://h:22"}, UpstreamTunnel: &configpb.UpstreamTunnel{SshPolicyId: new(policyID(9))}}, invalid("spec.upstream_tunnel.ssh_policy_id", "policy "+policyID(9)+" does not exist")},
		{"invalid ssh policy", &configpb.Route{From: "ssh://h", To: []string{"ssh://h:22"}, UpstreamTunnel: &configpb.UpstreamTunnel{SshPolicyId: new(policyID(2))}}, invalid("spec.upstream_tunnel.ssh_policy_id", `policy "broken" (`+policyID(2)+`) is invalid: ppl: allow.and[0].email: unknown matcher "equals"`)},
		{"missing key pair", &configpb.Route{From: "https://a.example.com", To: to, TlsCustomCaKeyPairId: new(keyPairID(9))}, invalid("spec.tls_custom_ca_key_pair_id", "key pair "+keyPairID(9)+" does not exist")},
		{"invalid key pair", &configpb.Route{From: "https://a.example.com", To: to, TlsDownstreamClientCaKeyPairId: new(keyPairID(3))}, invalid("spec.tls_downstream_client_ca_key_pair_id", `key pair "garbage" (`+keyPairID(3)+`) is invalid: certificate: is not PEM (after 0 certificates)`)},
		{"client key pair without key", &configpb.Route{From: "https://a.example.com", To: to, TlsClientKeyPairId: new(keyPairID(1))}, invalid("spec.tls_client_key_pair_id", `key pair "ca" (`+keyPairID(1)+`) has no private key`)},
		{"k8s key pair without key", &configpb.Route{From: "https://a.example.com", To: to, KubernetesServiceAccountTokenKeyPairId: new(keyPairID(1))}, invalid("spec.kubernetes_service_account_token_key_pair_id", `key pair "ca" (`+keyPairID(1)+`) has no private key`)},
		{"nil spec", nil, invalid("spec", "is required")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, got := compileOneRoute(t, tc.spec)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if emitted := findRecord(res, RecordTypeRoute, routeID(1)) != nil; emitted != tc.want.Valid {
				t.Errorf("record emitted = %v, want %v", emitted, tc.want.Valid)
			}
		})
	}
}

// TestRouteKeyPairsAreInlined checks that the key pairs Pomerium would copy
// as PEM into base64 fields are resolved into base64 values instead.
func TestRouteKeyPairsAreInlined(t *testing.T) {
	t.Parallel()
	res, status := compileOneRoute(t, &configpb.Route{
		From: "https://a.example.com", To: []string{"https://u"},
		TlsCustomCaKeyPairId:                   new(keyPairID(1)),
		TlsClientKeyPairId:                     new(keyPairID(2)),
		TlsDownstreamClientCaKeyPairId:         new(keyPairID(1)),
		KubernetesServiceAccountTokenKeyPairId: new(keyPairID(2)),
	})
	if !status.Valid {
		t.Fatalf("status %+v", status)
	}
	got := findRoute(t, res, routeID(1))
	b64 := func(name string) string { return base64.StdEncoding.EncodeToString(readTestdata(t, name)) }
	want := &configpb.Route{
		TlsCustomCa:                            b64("ca.pem"),
		TlsClientCert:                          b64("client.pem"),
		TlsClientKey:                           b64("client-key.pem"),
		TlsDownstreamClientCa:                  b64("ca.pem"),
		KubernetesServiceAccountTokenKeyPairId: new(keyPairID(2)),
	}
	gotTLS := &configpb.Route{
		TlsCustomCa: got.TlsCustomCa, TlsCustomCaKeyPairId: got.TlsCustomCaKeyPairId,
		TlsClientCert: got.TlsClientCert, TlsClientKey: got.TlsClientKey, TlsClientKeyPairId: got.TlsClientKeyPairId,
		TlsDownstreamClientCa: got.TlsDownstreamClientCa, TlsDownstreamClientCaKeyPairId: got.TlsDownstreamClientCaKeyPairId,
		KubernetesServiceAccountTokenKeyPairId: got.KubernetesServiceAccountTokenKeyPairId,
	}
	if diff := cmp.Diff(want, gotTLS, protocmp.Transform()); diff != "" {
		t.Errorf("tls fields (-want +got):\n%s", diff)
	}
}

func TestRoutePlacement(t *testing.T) {
	t.Parallel()
	st := routeState(t)
	st.Namespaces = append(st.Namespaces, namespace("e0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000099", "Orphan"))
	st.Routes = []*store.Route{
		route(routeID(1), "", "no namespace", simpleRoute("https://a.example.com")),
		route(routeID(2), nsGlobal+"x", "missing", simpleRoute("https://b.example.com")),
		route(routeID(3), "e0000000-0000-4000-8000-000000000001", "orphan", simpleRoute("https://c.example.com")),
	}
	res := Compile(st)
	want := map[string]Status{
		routeID(1): invalid("namespace_id", "is required"),
		routeID(2): invalid("namespace_id", "namespace "+nsGlobal+"x does not exist"),
		routeID(3): invalid("namespace_id", `namespace "Orphan" (e0000000-0000-4000-8000-000000000001) is invalid: namespace_id: parent namespace e0000000-0000-4000-8000-000000000099 does not exist`),
	}
	for id, w := range want {
		if diff := cmp.Diff(w, res.Status[ObjectKey{store.KindRoute, id}]); diff != "" {
			t.Errorf("route %s (-want +got):\n%s", id, diff)
		}
	}
}

func TestCheckRoute(t *testing.T) {
	t.Parallel()
	if s := CheckRoute(simpleRoute("https://ok.example.com")); !s.Valid {
		t.Errorf("valid route: %+v", s)
	}
	for _, tc := range []struct {
		spec  *configpb.Route
		field string
	}{
		{nil, "spec"},
		{simpleRoute("ok.example.com"), "spec.from"},
		{&configpb.Route{From: "https://ok.example.com", To: []string{"::bad"}}, "spec.to[0]"},
	} {
		if s := CheckRoute(tc.spec); s.Valid || s.Field != tc.field || s.Reason == "" {
			t.Errorf("CheckRoute(%v) = %+v, want an error about %s", tc.spec, s, tc.field)
		}
	}
}

// TestRouteRecordThatDoesNotEncode: a route whose record would hold a
// string that is not UTF-8, which a protobuf string must be (its name, its
// namespace's name, its id: the store refuses each, but rows stored by other
// means reach the compiler too), is invalid with the reason, and has no
// record to ask for. (A namespace or policy with such an id has no record
// of its own, and its routes are invalid for that.)
func TestRouteRecordThatDoesNotEncode(t *testing.T) {
	t.Parallel()
	spec := &configpb.Route{From: "https://bad.example.com", To: []string{"https://bad.internal"}} // which encodes
	for _, tc := range []struct {
		name      string
		namespace *store.Namespace
		route     *store.Route
	}{
		{"name", namespace(nsGlobal, "", "Global"), route(routeID(1), nsGlobal, "bad\xffname", spec)},
		{"namespace name", namespace(nsGlobal, "", "Glo\xffbal"), route(routeID(1), nsGlobal, "bad", spec)},
		{"id", namespace(nsGlobal, "", "Global"), route(routeID(1)+"\xff", nsGlobal, "bad", spec)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &store.State{
				Namespaces: []*store.Namespace{tc.namespace},
				Routes:     []*store.Route{tc.route},
			}
			c := NewCompiler()
			c.Reset(st)
			key := ObjectKey{Kind: store.KindRoute, ID: tc.route.ID}
			if s, ok := c.Status(key); !ok || s.Valid || !strings.Contains(s.Reason, "UTF-8") {
				t.Errorf("status %+v (%t), want invalid for a string not UTF-8", s, ok)
			}
			if rec, has := c.Changed(key, nil); rec != nil || has {
				t.Errorf("record %v (%t), want none", rec, has)
			}
		})
	}
}

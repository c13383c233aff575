package importer_test

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	// Inline TLS material of the golden file: a CA certificate and the key
	// of another certificate, which do not form a pair.
	config := string(readFile(t, "config.yaml"))
	ca := regexp.MustCompile(`tls_custom_ca: (\S+)`).FindStringSubmatch(config)[1]
	key := regexp.MustCompile(`tls_client_key: (\S+)`).FindStringSubmatch(config)[1]

	for _, tc := range []struct{ name, file, want string }{
		{"unknown key",
			"routes:\n- from: https://a.example.com\n  to: http://a\n  colour: red\n",
			`routes[0] (from https://a.example.com): colour: unknown route key`},
		{"bad duration",
			"routes:\n- {from: https://a.example.com, to: http://a}\n- {from: https://b.example.com, to: http://b}\n- {from: https://c.example.com, to: http://c}\n- {from: https://d.example.com, to: http://d, timeout: 5 minutes}\n",
			`routes[3] (from https://d.example.com): timeout: "5 minutes" is not a duration (write e.g. 30s, 5m or 1h30m)`},
		{"negative duration",
			"routes:\n- {from: https://a.example.com, to: http://a, idle_timeout: -1s}\n",
			`routes[0] (from https://a.example.com): idle_timeout: "-1s" must not be negative`},
		{"file on the Pomerium host",
			"routes:\n- {from: https://a.example.com, to: http://a, tls_client_cert_file: /etc/a.pem}\n",
			`routes[0] (from https://a.example.com): tls_client_cert_file: names a file on the Pomerium host, which the console cannot read: put the content inline (base64) or upload it as a key pair in the console`},
		{"missing from",
			"routes:\n- to: http://a\n",
			`routes[0]: from: is required`},
		{"from without scheme",
			"routes:\n- {from: a.example.com, to: http://a}\n",
			`routes[0] (from a.example.com): from: "a.example.com" has no scheme: write e.g. https://a.example.com`},
		{"from with path",
			"routes:\n- {from: https://a.example.com/app, to: http://a}\n",
			`routes[0] (from https://a.example.com/app): from: "https://a.example.com/app" has a path: match paths with the path, prefix or regex fields instead`},
		{"no action",
			"routes:\n- from: https://a.example.com\n",
			`routes[0] (from https://a.example.com): a route needs one of to, redirect or response`},
		{"two actions",
			"routes:\n- {from: https://a.example.com, to: http://a, redirect: {host_redirect: b.example.com}}\n",
			`routes[0] (from https://a.example.com): set only one of to, redirect and response, not to and redirect`},
		{"some weights",
			"routes:\n- {from: https://a.example.com, to: ['http://a,1', 'http://b']}\n",
			`routes[0] (from https://a.example.com): to: either every URL or none must have a load balancing weight`},
		{"zero weight",
			"routes:\n- {from: https://a.example.com, to: ['http://a,0']}\n",
			`routes[0] (from https://a.example.com): to[0]: "http://a,0": load balancing weight must be greater than 0`},
		{"weight as an object",
			"routes:\n- from: https://a.example.com\n  to: [{url: http://a, weight: 1}]\n",
			`routes[0] (from https://a.example.com): to[0]: must be a URL string: a load balancing weight is written "http://host:port,WEIGHT"`},
		{"upstream without scheme",
			"routes:\n- {from: https://a.example.com, to: a.internal}\n",
			`routes[0] (from https://a.example.com): to: "a.internal" has no scheme: write e.g. http://a.internal`},
		{"key set twice",
			"routes:\n- from: https://a.example.com\n  to: http://a\n  to: http://b\n",
			`routes[0]: to: is set twice`},
		{"route is not an object",
			"routes:\n- https://a.example.com\n",
			`routes[0]: must be an object with from and to, got "https://a.example.com"`},
		{"unknown redirect key",
			"routes:\n- {from: https://a.example.com, redirect: {host: b.example.com}}\n",
			`routes[0] (from https://a.example.com): redirect.host: unknown key`},
		{"bad port",
			"routes:\n- {from: https://a.example.com, redirect: {port_redirect: https}}\n",
			`routes[0] (from https://a.example.com): redirect.port_redirect: "https" is not an integer`},
		{"bad boolean",
			"routes:\n- {from: https://a.example.com, to: http://a, allow_websockets: sometimes}\n",
			`routes[0] (from https://a.example.com): allow_websockets: "sometimes" is not a boolean (true or false)`},
		{"bad enum",
			"routes:\n- {from: https://a.example.com, to: http://a, load_balancing_policy: FASTEST}\n",
			`routes[0] (from https://a.example.com): load_balancing_policy: "FASTEST" is not one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV`},
		{"both load balancing keys",
			"routes:\n- {from: https://a.example.com, to: http://a, lb_policy: MAGLEV, load_balancing_policy: RANDOM}\n",
			`routes[0] (from https://a.example.com): load_balancing_policy: conflicts with lb_policy: set only one of them`},
		{"public with allowed users",
			"routes:\n- {from: https://a.example.com, to: http://a, allow_public_unauthenticated_access: true, allowed_users: [a@example.com]}\n",
			`routes[0] (from https://a.example.com): allow_public_unauthenticated_access: cannot be combined with allow_any_authenticated_user, allowed_users or allowed_domains (Pomerium refuses such a route)`},
		{"claim that is not a string",
			"routes:\n- {from: https://a.example.com, to: http://a, allowed_idp_claims: {uid: [\"7\", 8]}}\n",
			`routes[0] (from https://a.example.com): allowed_idp_claims.uid[1]: "8" is not a string: Pomerium compares claim values as strings, so quote it`},
		{"policy that is a string",
			"routes:\n- {from: https://a.example.com, to: http://a, policy: allow everyone}\n",
			`routes[0] (from https://a.example.com): policy: must be a PPL rule (an object with allow and/or deny) or a list of rules, got "allow everyone"`},
		{"client certificate without key",
			"routes:\n- {from: https://a.example.com, to: http://a, tls_client_cert: " + ca + "}\n",
			`routes[0] (from https://a.example.com): tls_client_cert: needs tls_client_key as well`},
		{"client key of another certificate",
			"routes:\n- {from: https://a.example.com, to: http://a, tls_client_cert: " + ca + ", tls_client_key: " + key + "}\n",
			`routes[0] (from https://a.example.com): tls_client_key: does not form a key pair with tls_client_cert: tls: private key does not match public key`},
		{"custom CA that is not base64",
			"routes:\n- {from: https://a.example.com, to: http://a, tls_custom_ca: not*base64}\n",
			`routes[0] (from https://a.example.com): tls_custom_ca: is not base64-encoded PEM`},
		{"health check Pomerium cannot read",
			"routes:\n- {from: https://a.example.com, to: http://a, health_checks: [{timeout: 1s, colour: red}]}\n",
			`routes[0] (from https://a.example.com): health_checks[0]: is not a valid HealthCheck: proto:`},
		{"routes of the older policy key",
			"policy:\n- {from: https://a.example.com, to: http://a, colour: red}\n",
			`policy[0] (from https://a.example.com): colour: unknown route key`},
		{"no routes",
			"authenticate_service_url: https://authenticate.example.com\n",
			`the file has no routes: Pomerium lists them under the top-level key routes (policy in older releases)`},
		{"routes that are not a list",
			"routes: {from: https://a.example.com}\n",
			`routes: must be a list of routes, got an object`},
		{"top-level key set twice",
			"routes: []\nroutes: []\n",
			`routes: is set twice`},
		{"not YAML",
			"routes: [\n",
			`the file is not valid YAML: yaml: line 1: did not find expected node content`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := parseError(t, tc.file)
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n  %s\nwant\n  %s", err, tc.want)
			}
			if !errors.Is(err, store.ErrInvalid) || store.CodeOf(err) != store.CodeInvalid {
				t.Errorf("%v: errors.Is(err, store.ErrInvalid) = %t, store.CodeOf = %q; want an invalid-argument error",
					err, errors.Is(err, store.ErrInvalid), store.CodeOf(err))
			}
		})
	}
}

// parseError returns the error Parse gives for a file, or its first refused
// route; a file with more than one refused route fails the test.
func parseError(t *testing.T, file string) error {
	t.Helper()
	f, err := importer.Parse([]byte(file))
	switch {
	case err != nil:
		return err
	case len(f.Refused) > 1:
		t.Fatalf("%d routes refused, want one: %v", len(f.Refused), f.Refused)
	case len(f.Refused) == 1:
		for _, r := range f.Routes {
			if r.Source() == f.Refused[0].Source() {
				t.Errorf("the refused route %s is among the file's routes", r.Source())
			}
		}
		if len(f.KeyPairs) != 0 {
			t.Errorf("the refused route brought %d key pairs", len(f.KeyPairs))
		}
		return f.Refused[0]
	}
	return nil
}

func TestParseRouteError(t *testing.T) {
	t.Parallel()
	f, err := importer.Parse([]byte("routes:\n- {from: https://a.example.com, redirect: {port_redirect: x}}\n"))
	if err != nil || len(f.Refused) != 1 {
		t.Fatalf("Parse: %v, %d routes refused; want one refused route", err, len(f.Refused))
	}
	re := f.Refused[0]
	want := importer.RouteError{List: "routes", Index: 0, From: "https://a.example.com", Field: "redirect.port_redirect"}
	got := importer.RouteError{List: re.List, Index: re.Index, From: re.From, Field: re.Field}
	if got != want {
		t.Errorf("RouteError %+v, want %+v", got, want)
	}
}

func TestParseNames(t *testing.T) {
	t.Parallel()
	const file = `
routes:
  - {from: https://a.example.com, to: http://a}
  - {from: https://a.example.com, to: http://a2}
  - {from: https://a.example.com, prefix: /api/, to: http://api}
  - {from: http://a.example.com, path: /x, to: http://x}
  - {from: https://b.example.com, to: http://b}
  - {name: b.example.com, from: https://c.example.com, to: http://c}
  - {name: Shared, from: https://d.example.com, to: http://d}
  - {name: Shared, from: https://e.example.com, to: http://e}
  - {name: "", from: https://f.example.com, regex: "^/f$", to: http://f}
`
	f, err := importer.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Routes {
		got = append(got, r.Name)
	}
	want := []string{
		"a.example.com", "a.example.com (2)", "a.example.com/api/", "http://a.example.com/x",
		// The explicit name of a later route wins over a derived one.
		"b.example.com (2)", "b.example.com",
		"Shared", "Shared (2)",
		"f.example.com ~ ^/f$",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestParseFields(t *testing.T) {
	t.Parallel()
	routes := base64.StdEncoding.EncodeToString([]byte(`
- from: https://a.example.com
  to: ['http://a:80,3', 'http://b:80,1']
  lb_policy: ring_hash
  regex_priority_order: -2
  healthy_panic_threshold: 50
  circuit_breaker_thresholds: {max_connections: 10, max_retries: 2}
  outlier_detection: {consecutive_5xx: 5, interval: 10s}
  health_checks:
    - {timeout: 1s, interval: 5s, unhealthy_threshold: 3, healthy_threshold: 1, http_health_check: {path: /healthz}}
  allow_upgrades: websocket
  idp_access_token_allowed_audiences: [api]
  jwt_groups_filter: [admins]
  depends_on: [auth.example.com]
  kubernetes_service_account_token: token
  enable_google_cloud_serverless_authentication: true
  tls_skip_verify: true
  tls_upstream_allow_renegotiation: true
  tls_downstream_server_name: a.example.com
  tls_upstream_server_name: a.internal
  host_rewrite_header: X-Host
  host_path_regex_rewrite_pattern: "^/(.+)$"
  host_path_regex_rewrite_substitution: \1
  regex_rewrite_pattern: "^/old/(.*)$"
  regex_rewrite_substitution: /new/\1
  set_response_headers: {X-Frame-Options: DENY}
  idp_client_id: client
  idp_client_secret: secret
  allow_spdy: true
  pass_identity_headers: false
  mcp: {server: {max_request_bytes: 1024, upstream_oauth2: {client_id: c, endpoint: {token_url: https://idp/token, auth_style: in_header}}}}
`))
	f, err := importer.Parse([]byte("routes: " + routes + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := f.Routes[0].Spec
	want := &configpb.Route{
		From:                           "https://a.example.com",
		To:                             []string{"http://a:80", "http://b:80"},
		LoadBalancingWeights:           []uint32{3, 1},
		LoadBalancingPolicy:            new(configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RING_HASH),
		RegexPriorityOrder:             new(int64(-2)),
		HealthyPanicThreshold:          new(int32(50)),
		CircuitBreakerThresholds:       &configpb.CircuitBreakerThresholds{MaxConnections: new(uint32(10)), MaxRetries: new(uint32(2))},
		AllowUpgrades:                  &configpb.Route_StringList{Values: []string{"websocket"}},
		IdpAccessTokenAllowedAudiences: &configpb.Route_StringList{Values: []string{"api"}},
		JwtGroupsFilter:                []string{"admins"},
		DependsOn:                      []string{"auth.example.com"},
		KubernetesServiceAccountToken:  "token",
		EnableGoogleCloudServerlessAuthentication: true,
		TlsSkipVerify:                    true,
		TlsUpstreamAllowRenegotiation:    true,
		TlsDownstreamServerName:          "a.example.com",
		TlsUpstreamServerName:            "a.internal",
		HostRewriteHeader:                new("X-Host"),
		HostPathRegexRewritePattern:      new("^/(.+)$"),
		HostPathRegexRewriteSubstitution: new(`\1`),
		RegexRewritePattern:              "^/old/(.*)$",
		RegexRewriteSubstitution:         `/new/\1`,
		SetResponseHeaders:               map[string]string{"X-Frame-Options": "DENY"},
		IdpClientId:                      new("client"),
		IdpClientSecret:                  new("secret"),
		AllowSpdy:                        true,
		PassIdentityHeaders:              new(false),
		Mcp: &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{
			MaxRequestBytes: new(uint32(1024)),
			UpstreamOauth2: &configpb.UpstreamOAuth2{ClientId: "c", Oauth2Endpoint: &configpb.OAuth2Endpoint{
				TokenUrl: "https://idp/token", AuthStyle: new(configpb.OAuth2AuthStyle_OAUTH2_AUTH_STYLE_IN_HEADER),
			}},
		}}},
	}
	// The Envoy messages are compared separately: spelling them out here
	// would only restate protojson.
	if got.OutlierDetection.GetConsecutive_5Xx().GetValue() != 5 || got.OutlierDetection.GetInterval().AsDuration().Seconds() != 10 {
		t.Errorf("outlier_detection %v", got.OutlierDetection)
	}
	if len(got.HealthChecks) != 1 || got.HealthChecks[0].GetHttpHealthCheck().GetPath() != "/healthz" {
		t.Errorf("health_checks %v", got.HealthChecks)
	}
	got.OutlierDetection, got.HealthChecks = nil, nil
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if f.Routes[0].PPL != "" {
		t.Errorf("PPL %q for a route without access settings", f.Routes[0].PPL)
	}
}

// Routes that share a certificate share its key pair; a CA bundle given in
// plain PEM is the same key pair as in base64.
func TestParseSharesKeyPairs(t *testing.T) {
	t.Parallel()
	config := string(readFile(t, "config.yaml"))
	ca := regexp.MustCompile(`tls_custom_ca: (\S+)`).FindStringSubmatch(config)[1]
	pemCA, err := base64.StdEncoding.DecodeString(ca)
	if err != nil {
		t.Fatal(err)
	}
	indented := "      " + strings.ReplaceAll(strings.TrimSpace(string(pemCA)), "\n", "\n      ")
	file := "routes:\n" +
		"  - {from: https://a.example.com, to: https://a, tls_custom_ca: " + ca + "}\n" +
		"  - from: https://b.example.com\n    to: https://b\n    tls_downstream_client_ca: |\n" + indented + "\n"
	f, err := importer.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.KeyPairs) != 1 || f.Routes[0].CustomCA != f.Routes[1].DownstreamClientCA {
		t.Fatalf("key pairs %v: want one shared by both routes", f.KeyPairs)
	}
	if kp := f.KeyPairs[0]; kp.Name != "Example Internal CA (4206b163)" || kp.Source != "routes[0]" || len(kp.PrivateKey) != 0 {
		t.Errorf("key pair %q from %s with a %d-byte key", kp.Name, kp.Source, len(kp.PrivateKey))
	}
}

// Merge keys and aliases are YAML that Pomerium configurations use to share
// settings between routes.
func TestParseMergeKeys(t *testing.T) {
	t.Parallel()
	const file = `
x-common: &common
  timeout: 10s
  allowed_domains: [example.com]
routes:
  - <<: *common
    from: https://a.example.com
    to: http://a
    timeout: 20s
`
	f, err := importer.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Routes[0]
	if got := r.Spec.Timeout.AsDuration().String(); got != "20s" {
		t.Errorf("timeout %s, want the route's own 20s", got)
	}
	const ppl = "allow:\n  or:\n    - domain:\n        is: example.com\n"
	if r.PPL != ppl {
		t.Errorf("PPL\n%s\nwant\n%s", r.PPL, ppl)
	}
}

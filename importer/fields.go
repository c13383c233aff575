package importer

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// routeInput is one route of the file on its way to a RouteSpec.
type routeInput struct {
	spec   *configpb.Route
	name   string
	access access
	tls    tlsInput
	// lbKey is the key (load_balancing_policy or the older lb_policy) that
	// set the load balancing policy, so that setting both is caught.
	lbKey string
}

// tlsInput is the inline TLS material of a route, base64-encoded PEM as
// Pomerium's config file takes it.
type tlsInput struct {
	customCA, clientCert, clientKey, downstreamCA string
}

// routeField decodes the value of one route key into r.
type routeField func(n *yaml.Node, r *routeInput) error

// bind makes a routeField that decodes a value and stores it in one field
// of the route's spec.
func bind[T any](field func(*configpb.Route) *T, decode func(*yaml.Node) (T, error)) routeField {
	return func(n *yaml.Node, r *routeInput) error {
		v, err := decode(n)
		if err != nil {
			return err
		}
		*field(r.spec) = v
		return nil
	}
}

// routeFields maps every route key of Pomerium's config.yaml that has a
// counterpart in pomerium.config.Route (as Pomerium v0.33.0 reads it) to its
// decoder. Keys of access settings build the route's policy instead (see
// access.go); keys of inline TLS material become key pairs (keypairs.go).
var routeFields = map[string]routeField{
	"name":        func(n *yaml.Node, r *routeInput) (err error) { r.name, err = scalarText(n); return err },
	"description": bind(func(s *configpb.Route) **string { return &s.Description }, optionalText),
	"logo_url":    bind(func(s *configpb.Route) **string { return &s.LogoUrl }, optionalText),

	"from":     bind(func(s *configpb.Route) *string { return &s.From }, scalarText),
	"to":       decodeTo,
	"redirect": bind(func(s *configpb.Route) **configpb.RouteRedirect { return &s.Redirect }, redirect),
	"response": bind(func(s *configpb.Route) **configpb.RouteDirectResponse { return &s.Response }, directResponse),

	"prefix":               bind(func(s *configpb.Route) *string { return &s.Prefix }, scalarText),
	"path":                 bind(func(s *configpb.Route) *string { return &s.Path }, scalarText),
	"regex":                bind(func(s *configpb.Route) *string { return &s.Regex }, scalarText),
	"regex_priority_order": bind(func(s *configpb.Route) **int64 { return &s.RegexPriorityOrder }, optionalInt64),

	"prefix_rewrite":                       bind(func(s *configpb.Route) *string { return &s.PrefixRewrite }, scalarText),
	"regex_rewrite_pattern":                bind(func(s *configpb.Route) *string { return &s.RegexRewritePattern }, scalarText),
	"regex_rewrite_substitution":           bind(func(s *configpb.Route) *string { return &s.RegexRewriteSubstitution }, scalarText),
	"host_rewrite":                         bind(func(s *configpb.Route) **string { return &s.HostRewrite }, optionalText),
	"host_rewrite_header":                  bind(func(s *configpb.Route) **string { return &s.HostRewriteHeader }, optionalText),
	"host_path_regex_rewrite_pattern":      bind(func(s *configpb.Route) **string { return &s.HostPathRegexRewritePattern }, optionalText),
	"host_path_regex_rewrite_substitution": bind(func(s *configpb.Route) **string { return &s.HostPathRegexRewriteSubstitution }, optionalText),

	"timeout":              bind(func(s *configpb.Route) **durationpb.Duration { return &s.Timeout }, duration),
	"idle_timeout":         bind(func(s *configpb.Route) **durationpb.Duration { return &s.IdleTimeout }, duration),
	"allow_websockets":     bind(func(s *configpb.Route) *bool { return &s.AllowWebsockets }, boolean),
	"allow_spdy":           bind(func(s *configpb.Route) *bool { return &s.AllowSpdy }, boolean),
	"allow_upgrades":       bind(func(s *configpb.Route) **configpb.Route_StringList { return &s.AllowUpgrades }, routeStringList),
	"preserve_host_header": bind(func(s *configpb.Route) *bool { return &s.PreserveHostHeader }, boolean),
	"show_error_details":   bind(func(s *configpb.Route) *bool { return &s.ShowErrorDetails }, boolean),
	// Pomerium turns cors_allow_preflight into a cors_preflight allow rule
	// itself, so it stays a route setting rather than moving to the policy.
	"cors_allow_preflight": bind(func(s *configpb.Route) *bool { return &s.CorsAllowPreflight }, boolean),
	"depends_on":           bind(func(s *configpb.Route) *[]string { return &s.DependsOn }, stringList),

	"set_request_headers":      bind(func(s *configpb.Route) *map[string]string { return &s.SetRequestHeaders }, stringMap),
	"remove_request_headers":   bind(func(s *configpb.Route) *[]string { return &s.RemoveRequestHeaders }, stringList),
	"set_response_headers":     bind(func(s *configpb.Route) *map[string]string { return &s.SetResponseHeaders }, stringMap),
	"rewrite_response_headers": bind(func(s *configpb.Route) *[]*configpb.RouteRewriteHeader { return &s.RewriteResponseHeaders }, rewriteHeaders),
	"pass_identity_headers":    bind(func(s *configpb.Route) **bool { return &s.PassIdentityHeaders }, optionalBool),

	"tls_skip_verify":                  bind(func(s *configpb.Route) *bool { return &s.TlsSkipVerify }, boolean),
	"tls_server_name":                  bind(func(s *configpb.Route) *string { return &s.TlsServerName }, scalarText),
	"tls_upstream_server_name":         bind(func(s *configpb.Route) *string { return &s.TlsUpstreamServerName }, scalarText),
	"tls_downstream_server_name":       bind(func(s *configpb.Route) *string { return &s.TlsDownstreamServerName }, scalarText),
	"tls_upstream_allow_renegotiation": bind(func(s *configpb.Route) *bool { return &s.TlsUpstreamAllowRenegotiation }, boolean),
	"tls_custom_ca":                    func(n *yaml.Node, r *routeInput) (err error) { r.tls.customCA, err = scalarText(n); return err },
	"tls_client_cert":                  func(n *yaml.Node, r *routeInput) (err error) { r.tls.clientCert, err = scalarText(n); return err },
	"tls_client_key":                   func(n *yaml.Node, r *routeInput) (err error) { r.tls.clientKey, err = scalarText(n); return err },
	"tls_downstream_client_ca":         func(n *yaml.Node, r *routeInput) (err error) { r.tls.downstreamCA, err = scalarText(n); return err },

	"kubernetes_service_account_token":              bind(func(s *configpb.Route) *string { return &s.KubernetesServiceAccountToken }, scalarText),
	"enable_google_cloud_serverless_authentication": bind(func(s *configpb.Route) *bool { return &s.EnableGoogleCloudServerlessAuthentication }, boolean),
	"jwt_issuer_format":                             bind(func(s *configpb.Route) **configpb.IssuerFormat { return &s.JwtIssuerFormat }, issuerFormat),
	"jwt_groups_filter":                             bind(func(s *configpb.Route) *[]string { return &s.JwtGroupsFilter }, stringList),
	"bearer_token_format":                           bind(func(s *configpb.Route) **configpb.BearerTokenFormat { return &s.BearerTokenFormat }, bearerTokenFormat),
	"idp_client_id":                                 bind(func(s *configpb.Route) **string { return &s.IdpClientId }, optionalText),
	"idp_client_secret":                             bind(func(s *configpb.Route) **string { return &s.IdpClientSecret }, optionalText),
	"idp_access_token_allowed_audiences":            bind(func(s *configpb.Route) **configpb.Route_StringList { return &s.IdpAccessTokenAllowedAudiences }, routeStringList),

	"load_balancing_policy":      loadBalancing("load_balancing_policy"),
	"lb_policy":                  loadBalancing("lb_policy"),
	"healthy_panic_threshold":    bind(func(s *configpb.Route) **int32 { return &s.HealthyPanicThreshold }, optionalInt32),
	"circuit_breaker_thresholds": bind(func(s *configpb.Route) **configpb.CircuitBreakerThresholds { return &s.CircuitBreakerThresholds }, circuitBreaker),
	"outlier_detection":          bind(func(s *configpb.Route) **configpb.OutlierDetection { return &s.OutlierDetection }, outlierDetection),
	"health_checks":              bind(func(s *configpb.Route) *[]*configpb.HealthCheck { return &s.HealthChecks }, healthChecks),
	"mcp":                        bind(func(s *configpb.Route) **configpb.MCP { return &s.Mcp }, mcp),

	"policy":                              func(n *yaml.Node, r *routeInput) error { r.access.policy = n; return nil },
	"allowed_users":                       func(n *yaml.Node, r *routeInput) (err error) { r.access.users, err = stringList(n); return err },
	"allowed_domains":                     func(n *yaml.Node, r *routeInput) (err error) { r.access.domains, err = stringList(n); return err },
	"allowed_groups":                      func(n *yaml.Node, r *routeInput) (err error) { r.access.groups, err = stringList(n); return err },
	"allowed_idp_claims":                  func(n *yaml.Node, r *routeInput) (err error) { r.access.claims, err = idpClaims(n); return err },
	"allow_public_unauthenticated_access": func(n *yaml.Node, r *routeInput) (err error) { r.access.public, err = boolean(n); return err },
	"allow_any_authenticated_user":        func(n *yaml.Node, r *routeInput) (err error) { r.access.anyUser, err = boolean(n); return err },
}

// fileSetting is the reason for every key that reads a file on the Pomerium
// host.
const fileSetting = "names a file on the Pomerium host, which the console cannot read: put the content inline (base64) or upload it as a key pair in the console"

// refusedKeys are route keys Pomerium knows that the console cannot import,
// with the reason a user is told.
var refusedKeys = map[string]string{
	"tls_custom_ca_file":                    fileSetting,
	"tls_client_cert_file":                  fileSetting,
	"tls_client_key_file":                   fileSetting,
	"tls_downstream_client_ca_file":         fileSetting,
	"kubernetes_service_account_token_file": "names a file on the Pomerium host, which the console cannot read: put the token in kubernetes_service_account_token",
	"sub_policies":                          "is not supported: write the rules in the route's policy (PPL) instead",
	"upstream_tunnel":                       "is not supported: SSH reverse tunnels cannot be imported",
	"identity_providers":                    "is not supported: the Pomerium v0.33 records the console writes have no per-route identity providers",
	"least_request_lb_config":               "is not supported: Pomerium's route records carry only load_balancing_policy",
	"ring_hash_lb_config":                   "is not supported: Pomerium's route records carry only load_balancing_policy",
	"maglev_lb_config":                      "is not supported: Pomerium's route records carry only load_balancing_policy",
}

func optionalText(n *yaml.Node) (*string, error) {
	s, err := scalarText(n)
	if err != nil || s == "" {
		return nil, err
	}
	return &s, nil
}

func optionalBool(n *yaml.Node) (*bool, error) {
	b, err := boolean(n)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func optionalInt64(n *yaml.Node) (*int64, error) {
	v, err := integer(n, -1<<63, 1<<63-1)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func optionalInt32(n *yaml.Node) (*int32, error) {
	v, err := int32Value(n)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func optionalUint32(n *yaml.Node) (*uint32, error) {
	v, err := uint32Value(n)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func routeStringList(n *yaml.Node) (*configpb.Route_StringList, error) {
	values, err := stringList(n)
	if err != nil {
		return nil, err
	}
	return &configpb.Route_StringList{Values: values}, nil
}

// set returns a decoder for a nested object's field.
func set[T any](dst *T, decode func(*yaml.Node) (T, error)) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		v, err := decode(n)
		if err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

func redirect(n *yaml.Node) (*configpb.RouteRedirect, error) {
	r := &configpb.RouteRedirect{}
	return r, decodeObject(n, map[string]func(*yaml.Node) error{
		"https_redirect":  set(&r.HttpsRedirect, optionalBool),
		"scheme_redirect": set(&r.SchemeRedirect, textPointer),
		"host_redirect":   set(&r.HostRedirect, textPointer),
		"port_redirect":   set(&r.PortRedirect, optionalUint32),
		"path_redirect":   set(&r.PathRedirect, textPointer),
		"prefix_rewrite":  set(&r.PrefixRewrite, textPointer),
		"response_code":   set(&r.ResponseCode, optionalInt32),
		"strip_query":     set(&r.StripQuery, optionalBool),
	})
}

// textPointer keeps an explicit empty string: in a redirect, path_redirect: ""
// is a setting, not an absence.
func textPointer(n *yaml.Node) (*string, error) {
	s, err := scalarText(n)
	return &s, err
}

func directResponse(n *yaml.Node) (*configpb.RouteDirectResponse, error) {
	r := &configpb.RouteDirectResponse{}
	return r, decodeObject(n, map[string]func(*yaml.Node) error{
		"status": set(&r.Status, uint32Value),
		"body":   set(&r.Body, scalarText),
	})
}

func rewriteHeaders(n *yaml.Node) ([]*configpb.RouteRewriteHeader, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("must be a list of {header, prefix, value}, got %s", describeNode(n))
	}
	out := make([]*configpb.RouteRewriteHeader, 0, len(n.Content))
	for i, item := range n.Content {
		h := &configpb.RouteRewriteHeader{}
		var prefix string
		err := decodeObject(item, map[string]func(*yaml.Node) error{
			"header": set(&h.Header, scalarText),
			"prefix": set(&prefix, scalarText),
			"value":  set(&h.Value, scalarText),
		})
		if err == nil && h.Header == "" {
			err = at("header", errors.New("is required"))
		}
		if err != nil {
			return nil, at(index(i), err)
		}
		// Pomerium always writes the prefix matcher, even when empty.
		h.Matcher = &configpb.RouteRewriteHeader_Prefix{Prefix: prefix}
		out = append(out, h)
	}
	return out, nil
}

var issuerFormats = map[string]configpb.IssuerFormat{
	"hostonly": configpb.IssuerFormat_IssuerHostOnly,
	"uri":      configpb.IssuerFormat_IssuerURI,
}

func issuerFormat(n *yaml.Node) (*configpb.IssuerFormat, error) {
	v, err := enumValue(n, issuerFormats, "hostOnly, uri")
	return &v, err
}

var bearerTokenFormats = map[string]configpb.BearerTokenFormat{
	"default":            configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_DEFAULT,
	"idp_access_token":   configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN,
	"idp_identity_token": configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN,
}

func bearerTokenFormat(n *yaml.Node) (*configpb.BearerTokenFormat, error) {
	v, err := enumValue(n, bearerTokenFormats, "default, idp_access_token, idp_identity_token")
	return &v, err
}

var loadBalancingPolicies = map[string]configpb.LoadBalancingPolicy{
	"round_robin":   configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_ROUND_ROBIN,
	"maglev":        configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_MAGLEV,
	"random":        configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RANDOM,
	"ring_hash":     configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RING_HASH,
	"least_request": configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST,
}

// loadBalancing decodes load_balancing_policy and lb_policy, the name older
// Pomerium releases documented for the same setting.
func loadBalancing(key string) routeField {
	return func(n *yaml.Node, r *routeInput) error {
		if r.lbKey != "" {
			return fmt.Errorf("conflicts with %s: set only one of them", r.lbKey)
		}
		v, err := enumValue(n, loadBalancingPolicies, "ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV")
		if err != nil {
			return err
		}
		r.lbKey, r.spec.LoadBalancingPolicy = key, &v
		return nil
	}
}

func circuitBreaker(n *yaml.Node) (*configpb.CircuitBreakerThresholds, error) {
	c := &configpb.CircuitBreakerThresholds{}
	return c, decodeObject(n, map[string]func(*yaml.Node) error{
		"max_connections":      set(&c.MaxConnections, optionalUint32),
		"max_pending_requests": set(&c.MaxPendingRequests, optionalUint32),
		"max_requests":         set(&c.MaxRequests, optionalUint32),
		"max_retries":          set(&c.MaxRetries, optionalUint32),
		"max_connection_pools": set(&c.MaxConnectionPools, optionalUint32),
	})
}

// unknownRouteKey explains a key that is neither mapped nor refused.
func unknownRouteKey(key string) error {
	if strings.HasPrefix(key, "_") {
		return errors.New("unknown route key (keys starting with _ are internal to Pomerium)")
	}
	return errors.New("unknown route key")
}

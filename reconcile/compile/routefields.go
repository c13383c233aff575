package compile

import (
	"crypto/tls"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// routeSpecChecks are the checks of a route that need nothing but the route.
// They mirror config.Policy.Validate of Pomerium v0.33.0, whose failure on a
// single route makes Pomerium reject the whole databroker configuration, plus
// what Envoy would refuse (regexes, direct response codes).
var routeSpecChecks = []func(*configpb.Route) *fieldError{
	checkTo,
	checkAction,
	checkRedirect,
	checkResponse,
	checkPathMatchers,
	checkRegexes,
	checkRewrites,
	checkAccessFlags,
	checkTLSClient,
	checkTLSAuthorities,
	checkFileFields,
	checkKubernetesToken,
	checkDependsOn,
	checkMCP,
	checkInlinePolicies,
}

func checkRouteSpec(s *configpb.Route) *fieldError {
	for _, check := range routeSpecChecks {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func checkAction(s *configpb.Route) *fieldError {
	if len(s.To) == 0 && !redirectIsSet(s.Redirect) && s.Response == nil {
		return fieldErrorf("spec.to", "a route needs to, redirect or response")
	}
	return nil
}

// redirectIsSet is Pomerium's RouteRedirect.IsSet: an empty redirect message
// does not make a route a redirect.
func redirectIsSet(r *configpb.RouteRedirect) bool {
	return r != nil && (r.HttpsRedirect != nil || r.SchemeRedirect != nil || r.HostRedirect != nil ||
		r.PortRedirect != nil || r.PathRedirect != nil || r.PrefixRewrite != nil ||
		r.ResponseCode != nil || r.StripQuery != nil)
}

func checkRedirect(s *configpb.Route) *fieldError {
	if s.Redirect == nil || s.Redirect.ResponseCode == nil {
		return nil
	}
	switch code := s.Redirect.GetResponseCode(); code {
	case 301, 302, 303, 307, 308:
		return nil
	default:
		return fieldErrorf("spec.redirect.response_code", "%d is not one of 301, 302, 303, 307, 308", code)
	}
}

func checkResponse(s *configpb.Route) *fieldError {
	if s.Response == nil || redirectIsSet(s.Redirect) {
		return nil
	}
	if status := s.Response.GetStatus(); status < 200 || status > 599 {
		return fieldErrorf("spec.response.status", "%d is not an HTTP status between 200 and 599", status)
	}
	return nil
}

func checkPathMatchers(s *configpb.Route) *fieldError {
	if s.Prefix != "" && !strings.HasPrefix(s.Prefix, "/") {
		return fieldErrorf("spec.prefix", "%q must start with /", s.Prefix)
	}
	if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
		return fieldErrorf("spec.path", "%q must start with /", s.Path)
	}
	return nil
}

// MaxRegexLength bounds each regex of a route. RE2 matches in linear time,
// but compiling takes time that grows with the pattern (Go's regexp takes
// about 17 s for a 10 MiB literal), and no path matcher needs more.
const MaxRegexLength = 16 << 10

// checkRegexes compiles the regexes Envoy compiles with RE2; Go's regexp
// implements the same syntax, with the same limits on repetition counts
// (1000) and nesting depth.
func checkRegexes(s *configpb.Route) *fieldError {
	for _, re := range []struct{ field, expr string }{
		{"spec.regex", s.Regex},
		{"spec.regex_rewrite_pattern", s.RegexRewritePattern},
		{"spec.host_path_regex_rewrite_pattern", s.GetHostPathRegexRewritePattern()},
	} {
		if re.expr == "" {
			continue
		}
		if len(re.expr) > MaxRegexLength {
			return fieldErrorf(re.field, "is %d bytes long, at most %d allowed", len(re.expr), MaxRegexLength)
		}
		if _, err := regexp.Compile(re.expr); err != nil {
			return fieldErrorf(re.field, "%v", err)
		}
	}
	return nil
}

func checkRewrites(s *configpb.Route) *fieldError {
	if s.PrefixRewrite != "" && s.RegexRewritePattern != "" {
		return fieldErrorf("spec.regex_rewrite_pattern", "only one of prefix_rewrite and regex_rewrite_pattern may be set")
	}
	return nil
}

func checkAccessFlags(s *configpb.Route) *fieldError {
	lists := len(s.AllowedUsers) > 0 || len(s.AllowedDomains) > 0
	if s.AllowPublicUnauthenticatedAccess && (s.AllowAnyAuthenticatedUser || lists) {
		return fieldErrorf("spec.allow_public_unauthenticated_access", "a public route cannot also list allowed users or domains or require authentication")
	}
	if s.AllowAnyAuthenticatedUser && lists {
		return fieldErrorf("spec.allow_any_authenticated_user", "a route open to any authenticated user cannot also list allowed users or domains")
	}
	return nil
}

func checkTLSClient(s *configpb.Route) *fieldError {
	cert, key := s.TlsClientCert, s.TlsClientKey
	switch {
	case s.TlsClientKeyPairId != nil && (cert != "" || key != ""):
		return fieldErrorf("spec.tls_client_key_pair_id", "set either tls_client_key_pair_id or tls_client_cert and tls_client_key, not both")
	case cert == "" && key == "":
		return nil
	case cert == "" || key == "":
		return fieldErrorf("spec.tls_client_cert", "tls_client_cert and tls_client_key must both be set")
	}
	certPEM, err := base64.StdEncoding.DecodeString(cert)
	if err != nil {
		return fieldErrorf("spec.tls_client_cert", "is not base64: %v", err)
	}
	keyPEM, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return fieldErrorf("spec.tls_client_key", "is not base64: %v", err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return fieldErrorf("spec.tls_client_cert", "%v", err)
	}
	return nil
}

func checkTLSAuthorities(s *configpb.Route) *fieldError {
	for _, ca := range []struct {
		field, value string
		keyPair      *string
	}{
		{"spec.tls_custom_ca", s.TlsCustomCa, s.TlsCustomCaKeyPairId},
		{"spec.tls_downstream_client_ca", s.TlsDownstreamClientCa, s.TlsDownstreamClientCaKeyPairId},
	} {
		if ca.value == "" {
			continue
		}
		if ca.keyPair != nil {
			return fieldErrorf(ca.field, "set either %s or %s_key_pair_id, not both", ca.field[len("spec."):], ca.field[len("spec."):])
		}
		if _, err := base64.StdEncoding.DecodeString(ca.value); err != nil {
			return fieldErrorf(ca.field, "is not base64: %v", err)
		}
	}
	return nil
}

// checkFileFields refuses the fields Pomerium reads from its own disk while
// validating the configuration: the console cannot see that disk, and a
// missing file makes Pomerium reject every route, not just this one.
func checkFileFields(s *configpb.Route) *fieldError {
	for _, f := range []struct{ field, value string }{
		{"spec.tls_custom_ca_file", s.TlsCustomCaFile},
		{"spec.tls_client_cert_file", s.TlsClientCertFile},
		{"spec.tls_client_key_file", s.TlsClientKeyFile},
		{"spec.tls_downstream_client_ca_file", s.TlsDownstreamClientCaFile},
	} {
		if f.value != "" {
			return fieldErrorf(f.field, "names a file on the Pomerium host, which the console cannot check; use a key pair instead")
		}
	}
	return nil
}

func checkKubernetesToken(s *configpb.Route) *fieldError {
	token, file := s.KubernetesServiceAccountToken, s.KubernetesServiceAccountTokenFile
	switch {
	case token != "" && file != "":
		return fieldErrorf("spec.kubernetes_service_account_token", "set either kubernetes_service_account_token or kubernetes_service_account_token_file, not both")
	case s.KubernetesServiceAccountTokenKeyPairId != nil && (token != "" || file != ""):
		return fieldErrorf("spec.kubernetes_service_account_token_key_pair_id", "set either the key pair or the token, not both")
	}
	return nil
}

func checkDependsOn(s *configpb.Route) *fieldError {
	if len(s.DependsOn) > 5 {
		return fieldErrorf("spec.depends_on", "lists %d hosts, at most 5 allowed", len(s.DependsOn))
	}
	for i, v := range s.DependsOn {
		if !strings.Contains(v, "/") {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			return fieldErrorf(indexed("spec.depends_on", i), "%q is neither a host nor an absolute URL", v)
		}
	}
	return nil
}

func checkMCP(s *configpb.Route) *fieldError {
	as := s.GetMcp().GetServer().GetAuthorizationServerUrl()
	if as == "" {
		return nil
	}
	const field = "spec.mcp.server.authorization_server_url"
	if err := checkAbsoluteURL(field, as); err != nil {
		return err
	}
	if !strings.HasPrefix(as, "https://") {
		return fieldErrorf(field, "%q must be an https URL", as)
	}
	return nil
}

// checkInlinePolicies refuses policies the console cannot vouch for: inline
// policies bypass the policy objects, and raw Rego cannot be checked here.
func checkInlinePolicies(s *configpb.Route) *fieldError {
	switch {
	case len(s.Policies) > 0:
		return fieldErrorf("spec.policies", "inline policies are not supported: create a policy and list its id in policy_ids")
	case len(s.PplPolicies) > 0:
		return fieldErrorf("spec.ppl_policies", "inline policies are not supported: create a policy and list its id in policy_ids")
	}
	tunnel := s.GetUpstreamTunnel()
	if tunnel == nil {
		return nil
	}
	if len(tunnel.SshPolicyRego) > 0 {
		return fieldErrorf("spec.upstream_tunnel.ssh_policy_rego", "raw Rego is not supported: use ssh_policy_id or ssh_policy")
	}
	if raw := tunnel.GetSshPolicy().GetRaw(); len(raw) > 0 {
		if err := ValidatePPL(string(raw)); err != nil {
			return fieldErrorf("spec.upstream_tunnel.ssh_policy", "%v", err)
		}
	}
	return nil
}

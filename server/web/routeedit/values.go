package routeedit

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// Actions of a route: where its requests go.
const (
	actionTo       = "to"
	actionRedirect = "redirect"
	actionResponse = "response"
)

// valuesOf is every tab's form as it shows route r. Saving a form whose
// field still holds this value keeps the stored field as it is. Secrets are
// never shown: their fields are empty, and empty keeps them.
func valuesOf(r *pb.Route) map[string]string {
	v := map[string]string{
		"name": r.GetName(), "namespace_id": r.GetNamespaceId(), "description": r.GetDescription(),
		"logo_url": r.GetLogoUrl(), "stat_name": r.GetStatName(), "from": r.GetFrom(),
		"action": actionOf(r), "to": strings.Join(r.GetTo(), "\n"),
		"policy_ids": strings.Join(r.GetPolicyIds(), "\n"),
		"depends_on": strings.Join(r.GetDependsOn(), "\n"), "allow_upgrades": stringList(r.GetAllowUpgrades()),
		"pass_identity_headers": optBool(r.PassIdentityHeaders),
		"allow_websockets":      check(r.GetAllowWebsockets()), "allow_spdy": check(r.GetAllowSpdy()),
		"preserve_host_header":                          check(r.GetPreserveHostHeader()),
		"enable_google_cloud_serverless_authentication": check(r.GetEnableGoogleCloudServerlessAuthentication()),
		"show_error_details":                            check(r.GetShowErrorDetails()),
		"session_recording":                             check(r.GetSessionRecording().GetEnabled()),
		"upstream_tunnel_ssh_policy_id":                 r.GetUpstreamTunnel().GetSshPolicyId(),
		"idp_client_id":                                 r.GetIdpClientId(),
		"idp_access_token_allowed_audiences":            stringList(r.GetIdpAccessTokenAllowedAudiences()),

		"prefix": r.GetPrefix(), "path": r.GetPath(), "regex": r.GetRegex(),
		"regex_priority_order": optInt(r.RegexPriorityOrder),
		"prefix_rewrite":       r.GetPrefixRewrite(), "regex_rewrite_pattern": r.GetRegexRewritePattern(),
		"regex_rewrite_substitution": r.GetRegexRewriteSubstitution(),
		"host_rewrite":               r.GetHostRewrite(), "host_rewrite_header": r.GetHostRewriteHeader(),
		"host_path_regex_rewrite_pattern":      r.GetHostPathRegexRewritePattern(),
		"host_path_regex_rewrite_substitution": r.GetHostPathRegexRewriteSubstitution(),

		"timeout": duration(r.GetTimeout()), "idle_timeout": duration(r.GetIdleTimeout()),

		"set_request_headers":                   headerLines(r.GetSetRequestHeaders()),
		"remove_request_headers":                strings.Join(r.GetRemoveRequestHeaders(), "\n"),
		"set_response_headers":                  headerLines(r.GetSetResponseHeaders()),
		"rewrite_response_headers":              rewriteLines(r.GetRewriteResponseHeaders()),
		"jwt_issuer_format":                     enumName(r.JwtIssuerFormat),
		"bearer_token_format":                   enumName(r.BearerTokenFormat),
		"jwt_groups_filter_groups":              strings.Join(r.GetJwtGroupsFilter().GetGroups(), "\n"),
		"jwt_groups_filter_infer_from_ppl":      optBool(inferFromPPL(r)),
		"kubernetes_service_account_token_file": r.GetKubernetesServiceAccountTokenFile(),

		"tls_skip_verify":                      check(r.GetTlsSkipVerify()),
		"tls_upstream_server_name":             r.GetTlsUpstreamServerName(),
		"tls_downstream_server_name":           r.GetTlsDownstreamServerName(),
		"tls_custom_ca_key_pair_id":            r.GetTlsCustomCaKeyPairId(),
		"tls_client_key_pair_id":               r.GetTlsClientKeyPairId(),
		"tls_downstream_client_ca_key_pair_id": r.GetTlsDownstreamClientCaKeyPairId(),
		"tls_upstream_allow_renegotiation":     check(r.GetTlsUpstreamAllowRenegotiation()),

		"load_balancing_policy":   enumName(r.LoadBalancingPolicy),
		"healthy_panic_threshold": optInt(r.HealthyPanicThreshold),
		"health_checks":           healthChecks(r.GetHealthChecks()),
	}
	redirectValues(v, r.GetRedirect())
	if resp := r.GetResponse(); resp != nil {
		v["response_status"] = strconv.FormatUint(uint64(resp.GetStatus()), 10)
		v["response_body"] = resp.GetBody()
	}
	if cb := r.GetCircuitBreakerThresholds(); cb != nil {
		for name, n := range thresholds(cb) {
			v[name] = optInt(*n)
		}
	}
	for i, u := range r.GetTo() {
		_, w, _ := strings.Cut(u, ",")
		v[weightField(i)] = strings.TrimSpace(w)
	}
	return v
}

// inferFromPPL is the optional flag of the JWT groups filter.
func inferFromPPL(r *pb.Route) *bool {
	if f := r.GetJwtGroupsFilter(); f != nil {
		return f.InferFromPpl
	}
	return nil
}

func actionOf(r *pb.Route) string {
	switch {
	case r.GetRedirect() != nil:
		return actionRedirect
	case r.GetResponse() != nil:
		return actionResponse
	}
	return actionTo
}

func redirectValues(v map[string]string, rd *pb.RedirectAction) {
	if rd == nil {
		return
	}
	v["redirect_https"] = check(rd.GetHttpsRedirect())
	v["redirect_scheme"] = rd.GetSchemeRedirect()
	v["redirect_host"] = rd.GetHostRedirect()
	if rd.GetPortRedirect() != 0 {
		v["redirect_port"] = strconv.FormatUint(uint64(rd.GetPortRedirect()), 10)
	}
	v["redirect_path"] = rd.GetPathRedirect()
	v["redirect_prefix_rewrite"] = rd.GetPrefixRewrite()
	if rd.GetResponseCode() != pb.RedirectAction_MOVED_PERMANENTLY {
		v["redirect_response_code"] = rd.GetResponseCode().String()
	}
	v["redirect_strip_query"] = check(rd.GetStripQuery())
}

func weightField(i int) string { return "weight_" + strconv.Itoa(i) }

func check(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// optBool shows an optional flag for a select: unset, "true" or "false".
func optBool(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func optInt[T int32 | int64 | uint32](n *T) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(int64(*n), 10)
}

func enumName[T interface{ String() string }](e *T) string {
	if e == nil {
		return ""
	}
	return (*e).String()
}

func stringList(l *pb.Route_StringList) string { return strings.Join(l.GetValues(), "\n") }

// duration writes a duration the way the form reads it back: "30s", "1m30s".
func duration(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	return d.AsDuration().String()
}

// headerLines writes a header map as "Name: value" lines, by name.
func headerLines(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k + ": " + m[k] + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// rewriteLines writes header rewrites as "Name: prefix => value" lines, or
// "Name: value" for a rewrite without a prefix.
func rewriteLines(list []*pb.RouteRewriteHeader) string {
	lines := make([]string, len(list))
	for i, h := range list {
		if p, ok := h.GetMatcher().(*pb.RouteRewriteHeader_Prefix); ok {
			lines[i] = h.GetHeader() + ": " + p.Prefix + rewriteArrow + h.GetValue()
			continue
		}
		lines[i] = h.GetHeader() + ": " + h.GetValue()
	}
	return strings.Join(lines, "\n")
}

// healthChecks writes the health checks as an indented JSON array in the
// protobuf JSON mapping, canonical (sorted keys) so that an unchanged form
// compares equal.
func healthChecks(list []*pb.HealthCheck) string {
	if len(list) == 0 {
		return ""
	}
	items := make([]any, len(list))
	for i, h := range list {
		// A message the API decoded always encodes. Were it not to, the
		// field would show empty, and an unchanged empty field keeps the
		// stored health checks: nothing is lost.
		raw, err := protojson.Marshal(h)
		if err != nil {
			return ""
		}
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			return ""
		}
	}
	out, err := json.MarshalIndent(items, "", "  ")
	if err != nil {
		return ""
	}
	return string(out)
}

// thresholds are the form fields of the circuit breaker thresholds, with
// the field each sets.
func thresholds(cb *pb.CircuitBreakerThresholds) map[string]**uint32 {
	return map[string]**uint32{
		"circuit_breaker_thresholds_max_connections":      &cb.MaxConnections,
		"circuit_breaker_thresholds_max_pending_requests": &cb.MaxPendingRequests,
		"circuit_breaker_thresholds_max_requests":         &cb.MaxRequests,
		"circuit_breaker_thresholds_max_retries":          &cb.MaxRetries,
		"circuit_breaker_thresholds_max_connection_pools": &cb.MaxConnectionPools,
	}
}

package routeedit

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// appliers change a route by the form of one tab, each only the fields of
// its tab.
var appliers = map[string]func(*post, *pb.Route){
	tabGeneral: applyGeneral, tabMatchers: applyMatchers, tabTimeouts: applyTimeouts,
	tabHeaders: applyHeaders, tabTLS: applyTLS, tabLB: applyLB,
}

func applyGeneral(p *post, r *pb.Route) {
	r.Name = p.text("name", r.Name)
	r.NamespaceId = p.text("namespace_id", r.NamespaceId)
	r.Description = p.str("description", r.Description)
	r.LogoUrl = p.str("logo_url", r.LogoUrl)
	r.StatName = p.text("stat_name", r.StatName)
	r.From = p.text("from", r.From)
	applyAction(p, r)
	r.PolicyIds = p.multi("policy_ids", r.PolicyIds)
	r.DependsOn = p.lines("depends_on", r.DependsOn)
	r.AllowUpgrades = p.list("allow_upgrades", r.AllowUpgrades)
	r.PassIdentityHeaders = p.triState("pass_identity_headers", r.PassIdentityHeaders)
	r.AllowWebsockets = p.flag("allow_websockets", r.AllowWebsockets)
	r.AllowSpdy = p.flag("allow_spdy", r.AllowSpdy)
	r.PreserveHostHeader = p.flag("preserve_host_header", r.PreserveHostHeader)
	r.EnableGoogleCloudServerlessAuthentication = p.get("enable_google_cloud_serverless_authentication") != ""
	r.ShowErrorDetails = p.get("show_error_details") != ""
	if p.changed("session_recording") {
		r.SessionRecording = &pb.SessionRecording{Enabled: new(p.get("session_recording") != "")}
	}
	if p.changed("upstream_tunnel_ssh_policy_id") {
		r.UpstreamTunnel = nil
		if id := p.get("upstream_tunnel_ssh_policy_id"); id != "" {
			r.UpstreamTunnel = &pb.UpstreamTunnel{SshPolicyId: &id}
		}
	}
	r.IdpClientId = p.str("idp_client_id", r.IdpClientId)
	r.IdpClientSecret = p.secret("idp_client_secret", r.IdpClientSecret)
	r.IdpAccessTokenAllowedAudiences = p.list("idp_access_token_allowed_audiences", r.IdpAccessTokenAllowedAudiences)
}

// multi reads the choices of a multiple select. The same choices in
// another order keep the stored order.
func (p *post) multi(name string, cur []string) []string {
	var in []string
	for _, v := range p.in[name] {
		if v = strings.TrimSpace(v); v != "" {
			in = append(in, v)
		}
	}
	a, b := slices.Sorted(slices.Values(in)), slices.Sorted(slices.Values(cur))
	if slices.Equal(a, b) {
		return cur
	}
	return in
}

var redirectFields = []string{
	"redirect_https", "redirect_scheme", "redirect_host", "redirect_port",
	"redirect_path", "redirect_prefix_rewrite", "redirect_response_code", "redirect_strip_query",
}

// actionFields are the fields of each action of a route.
var actionFields = map[string][]string{
	actionTo:       {"to"},
	actionRedirect: redirectFields,
	actionResponse: {"response_status", "response_body"},
}

// applyAction reads what the route does: proxy, redirect or respond. Only
// the chosen action's fields are read; when the action changes, the others
// are cleared. Filling in the fields of an action not chosen is refused
// rather than silently dropped.
func applyAction(p *post, r *pb.Route) {
	action := p.get("action")
	if _, ok := actionFields[action]; !ok {
		p.failf("action", "%q is not one of to, redirect, response", action)
		return
	}
	for _, a := range []string{actionTo, actionRedirect, actionResponse} {
		if a == action {
			continue
		}
		for _, f := range actionFields[a] {
			if p.changed(f) && p.get(f) != "" {
				p.failf(f, "applies only when the route's action is %q: choose that action, or leave this field as it was", a)
			}
		}
	}
	switch action {
	case actionTo:
		r.To = p.lines("to", r.To)
	case actionRedirect:
		if p.changed(redirectFields...) || r.Redirect == nil {
			r.Redirect = readRedirect(p)
		}
	case actionResponse:
		if p.changed(actionFields[actionResponse]...) || r.Response == nil {
			r.Response = readResponse(p)
		}
	}
	if !p.changed("action") {
		return
	}
	if action != actionTo {
		r.To = nil
	}
	if action != actionRedirect {
		r.Redirect = nil
	}
	if action != actionResponse {
		r.Response = nil
	}
}

// readRedirect reads the redirect fields, all of them: the message is
// built anew.
func readRedirect(p *post) *pb.RedirectAction {
	rd := &pb.RedirectAction{HostRedirect: p.get("redirect_host"), StripQuery: p.get("redirect_strip_query") != ""}
	https, scheme := p.get("redirect_https") != "", p.get("redirect_scheme")
	switch {
	case https && scheme != "":
		p.failf("redirect_scheme", "set either a scheme or redirect to HTTPS, not both")
	case https:
		rd.SchemeRewriteSpecifier = &pb.RedirectAction_HttpsRedirect{HttpsRedirect: true}
	case scheme != "":
		rd.SchemeRewriteSpecifier = &pb.RedirectAction_SchemeRedirect{SchemeRedirect: scheme}
	}
	if port := readNumber[uint32](p, "redirect_port", nil, 1, 65535); port != nil {
		rd.PortRedirect = *port
	}
	path, prefix := p.get("redirect_path"), p.get("redirect_prefix_rewrite")
	switch {
	case path != "" && prefix != "":
		p.failf("redirect_prefix_rewrite", "set either a path or a prefix rewrite, not both")
	case path != "":
		rd.PathRewriteSpecifier = &pb.RedirectAction_PathRedirect{PathRedirect: path}
	case prefix != "":
		rd.PathRewriteSpecifier = &pb.RedirectAction_PrefixRewrite{PrefixRewrite: prefix}
	}
	if code := p.get("redirect_response_code"); code != "" {
		n, ok := pb.RedirectAction_RedirectResponseCode_value[code]
		if !ok {
			p.failf("redirect_response_code", "%q is not one of the choices", code)
		}
		rd.ResponseCode = pb.RedirectAction_RedirectResponseCode(n)
	}
	empty := rd.SchemeRewriteSpecifier == nil && rd.HostRedirect == "" && rd.PortRedirect == 0 &&
		rd.PathRewriteSpecifier == nil && rd.ResponseCode == pb.RedirectAction_MOVED_PERMANENTLY && !rd.StripQuery
	if empty {
		p.failf("action", "a redirect needs at least one of the redirect fields")
		return nil
	}
	return rd
}

// readResponse reads the fixed response, built anew.
func readResponse(p *post) *pb.RouteDirectResponse {
	status := readNumber[uint32](p, "response_status", nil, 200, 599)
	if status == nil {
		p.failf("response_status", "is required for a fixed response")
		return nil
	}
	body := strings.ReplaceAll(p.in.Get("response_body"), "\r\n", "\n")
	return &pb.RouteDirectResponse{Status: *status, Body: body}
}

func applyMatchers(p *post, r *pb.Route) {
	r.Prefix = p.str("prefix", r.Prefix)
	r.Path = p.str("path", r.Path)
	r.Regex = p.str("regex", r.Regex)
	r.RegexPriorityOrder = number(p, "regex_priority_order", r.RegexPriorityOrder, math.MinInt64, math.MaxInt64)
	r.PrefixRewrite = p.str("prefix_rewrite", r.PrefixRewrite)
	r.RegexRewritePattern = p.str("regex_rewrite_pattern", r.RegexRewritePattern)
	r.RegexRewriteSubstitution = p.str("regex_rewrite_substitution", r.RegexRewriteSubstitution)
	r.HostRewrite = p.str("host_rewrite", r.HostRewrite)
	r.HostRewriteHeader = p.str("host_rewrite_header", r.HostRewriteHeader)
	r.HostPathRegexRewritePattern = p.str("host_path_regex_rewrite_pattern", r.HostPathRegexRewritePattern)
	r.HostPathRegexRewriteSubstitution = p.str("host_path_regex_rewrite_substitution", r.HostPathRegexRewriteSubstitution)
}

func applyTimeouts(p *post, r *pb.Route) {
	r.Timeout = p.duration("timeout", r.Timeout)
	r.IdleTimeout = p.duration("idle_timeout", r.IdleTimeout)
}

func applyHeaders(p *post, r *pb.Route) {
	r.SetRequestHeaders = p.headerMap("set_request_headers", r.SetRequestHeaders)
	r.RemoveRequestHeaders = p.headerNames("remove_request_headers", r.RemoveRequestHeaders)
	r.SetResponseHeaders = p.headerMap("set_response_headers", r.SetResponseHeaders)
	r.RewriteResponseHeaders = p.rewrites("rewrite_response_headers", r.RewriteResponseHeaders)
	r.JwtIssuerFormat = enum(p, "jwt_issuer_format", r.JwtIssuerFormat, pb.IssuerFormat_value)
	r.BearerTokenFormat = enum(p, "bearer_token_format", r.BearerTokenFormat, pb.BearerTokenFormat_value)
	if p.changed("jwt_groups_filter_groups", "jwt_groups_filter_infer_from_ppl") {
		groups := splitLines(p.get("jwt_groups_filter_groups"))
		infer := p.triState("jwt_groups_filter_infer_from_ppl", inferFromPPL(r))
		r.JwtGroupsFilter = nil
		if len(groups) > 0 || infer != nil {
			r.JwtGroupsFilter = &pb.JwtGroupsFilter{Groups: groups, InferFromPpl: infer}
		}
	}
	r.KubernetesServiceAccountToken = p.secret("kubernetes_service_account_token", r.KubernetesServiceAccountToken)
	r.KubernetesServiceAccountTokenFile = p.str("kubernetes_service_account_token_file", r.KubernetesServiceAccountTokenFile)
}

func applyTLS(p *post, r *pb.Route) {
	r.TlsSkipVerify = p.flag("tls_skip_verify", r.TlsSkipVerify)
	r.TlsUpstreamServerName = p.str("tls_upstream_server_name", r.TlsUpstreamServerName)
	r.TlsDownstreamServerName = p.str("tls_downstream_server_name", r.TlsDownstreamServerName)
	r.TlsCustomCaKeyPairId = p.str("tls_custom_ca_key_pair_id", r.TlsCustomCaKeyPairId)
	r.TlsClientKeyPairId = p.str("tls_client_key_pair_id", r.TlsClientKeyPairId)
	r.TlsDownstreamClientCaKeyPairId = p.str("tls_downstream_client_ca_key_pair_id", r.TlsDownstreamClientCaKeyPairId)
	r.TlsUpstreamAllowRenegotiation = p.flag("tls_upstream_allow_renegotiation", r.TlsUpstreamAllowRenegotiation)
}

func applyLB(p *post, r *pb.Route) {
	r.LoadBalancingPolicy = enum(p, "load_balancing_policy", r.LoadBalancingPolicy, pb.LoadBalancingPolicy_value)
	r.To = readWeights(p, r.To)
	r.HealthyPanicThreshold = number(p, "healthy_panic_threshold", r.HealthyPanicThreshold, 0, 100)
	names := make([]string, 0, 5)
	for name := range thresholds(&pb.CircuitBreakerThresholds{}) {
		names = append(names, name)
	}
	if p.changed(names...) {
		cb := &pb.CircuitBreakerThresholds{}
		if cur := r.GetCircuitBreakerThresholds(); cur != nil {
			cb = proto.CloneOf(cur)
		}
		empty := true
		for name, field := range thresholds(cb) {
			*field = number(p, name, *field, 0, math.MaxUint32)
			empty = empty && *field == nil
		}
		r.CircuitBreakerThresholds = cb
		if empty {
			r.CircuitBreakerThresholds = nil
		}
	}
	r.HealthChecks = readHealthChecks(p, r.HealthChecks)
}

// readWeights reads the load balancing weight of every upstream URL: all
// or none, as Pomerium wants them. They travel on the URLs,
// "http://host,WEIGHT", as the API writes them.
func readWeights(p *post, to []string) []string {
	fields := make([]string, len(to))
	for i := range to {
		fields[i] = weightField(i)
	}
	if !p.changed(fields...) {
		return to
	}
	out := make([]string, len(to))
	weighted := 0
	for i, u := range to {
		raw, _, _ := strings.Cut(u, ",")
		out[i] = raw
		w := p.get(fields[i])
		if w == "" {
			continue
		}
		n, err := strconv.ParseUint(w, 10, 32)
		if err != nil || n == 0 {
			p.refuse(fields[i], "weight of "+raw+": "+strconv.Quote(w)+" is not a whole number from 1 to 4294967295")
			continue
		}
		out[i] = raw + "," + strconv.FormatUint(n, 10)
		weighted++
	}
	if weighted > 0 && weighted < len(to) {
		p.failf("weights", "give every upstream URL a weight, or none")
	}
	return out
}

// readHealthChecks reads the health checks written as a JSON array in the
// protobuf JSON mapping.
func readHealthChecks(p *post, cur []*pb.HealthCheck) []*pb.HealthCheck {
	if !p.changed("health_checks") {
		return cur
	}
	v := p.get("health_checks")
	if v == "" {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(v), &items); err != nil {
		p.failf("health_checks", "not a JSON array of health checks: %v", err)
		return cur
	}
	out := make([]*pb.HealthCheck, len(items))
	for i, raw := range items {
		out[i] = &pb.HealthCheck{}
		if err := protojson.Unmarshal(raw, out[i]); err != nil {
			p.failf("health_checks", "health check %d: %v", i+1, err)
			return cur
		}
	}
	return out
}

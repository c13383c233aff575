package routeedit

import (
	"regexp"
	"strconv"
	"strings"
)

// The tabs of the editor, each its own URL (?tab=) and its own form.
const (
	tabGeneral  = "general"
	tabMatchers = "matchers"
	tabTimeouts = "timeouts"
	tabHeaders  = "headers"
	tabTLS      = "tls"
	tabLB       = "lb"
)

// tab is one tab of the editor: the form fields it posts. A field belongs
// to exactly one tab, so that saving a tab can only change its own fields.
type tab struct {
	Key, Label string
	fields     []string
}

var tabs = []tab{
	{tabGeneral, "General", []string{
		"name", "namespace_id", "description", "logo_url", "stat_name", "from",
		"action", "to",
		"redirect_https", "redirect_scheme", "redirect_host", "redirect_port",
		"redirect_path", "redirect_prefix_rewrite", "redirect_response_code", "redirect_strip_query",
		"response_status", "response_body",
		"policy_ids", "depends_on", "allow_upgrades",
		"pass_identity_headers", "allow_websockets", "allow_spdy", "preserve_host_header",
		"enable_google_cloud_serverless_authentication", "show_error_details", "session_recording",
		"upstream_tunnel_ssh_policy_id",
		"idp_client_id", "idp_client_secret", "idp_client_secret_clear", "idp_access_token_allowed_audiences",
	}},
	{tabMatchers, "Matchers", []string{
		"prefix", "path", "regex", "regex_priority_order",
		"prefix_rewrite", "regex_rewrite_pattern", "regex_rewrite_substitution",
		"host_rewrite", "host_rewrite_header",
		"host_path_regex_rewrite_pattern", "host_path_regex_rewrite_substitution",
	}},
	{tabTimeouts, "Timeouts", []string{"timeout", "idle_timeout"}},
	{tabHeaders, "Headers", []string{
		"set_request_headers", "remove_request_headers", "set_response_headers", "rewrite_response_headers",
		"jwt_issuer_format", "bearer_token_format", "jwt_groups_filter_groups", "jwt_groups_filter_infer_from_ppl",
		"kubernetes_service_account_token", "kubernetes_service_account_token_clear",
		"kubernetes_service_account_token_file",
	}},
	{tabTLS, "TLS", []string{
		"tls_skip_verify", "tls_upstream_server_name", "tls_downstream_server_name",
		"tls_custom_ca_key_pair_id", "tls_client_key_pair_id", "tls_downstream_client_ca_key_pair_id",
		"tls_upstream_allow_renegotiation",
	}},
	{tabLB, "Load balancing", []string{
		"load_balancing_policy", "weights",
		"healthy_panic_threshold",
		"circuit_breaker_thresholds_max_connections", "circuit_breaker_thresholds_max_pending_requests",
		"circuit_breaker_thresholds_max_requests", "circuit_breaker_thresholds_max_retries",
		"circuit_breaker_thresholds_max_connection_pools",
		"health_checks",
	}},
}

// tabOf is the tab of every form field.
var tabOf = func() map[string]string {
	m := map[string]string{}
	for _, t := range tabs {
		for _, f := range t.fields {
			m[f] = t.Key
		}
	}
	return m
}()

func tabByKey(key string) (tab, bool) {
	for _, t := range tabs {
		if t.Key == key {
			return t, true
		}
	}
	return tab{}, false
}

// lineFields are the form fields that hold one item per line: an error
// about item i of the route's list is about line i+1.
var lineFields = map[string]bool{
	"to": true, "depends_on": true, "allow_upgrades": true,
	"idp_access_token_allowed_audiences": true, "remove_request_headers": true,
	"rewrite_response_headers": true, "jwt_groups_filter_groups": true,
}

// fieldAliases names the form field of the route's fields (paths inside
// the stored spec, as the use cases and the reconciler name them) whose
// form field is not the path with dots made underscores.
var fieldAliases = map[string]string{
	"redirect":                   "action",
	"redirect.https_redirect":    "redirect_https",
	"redirect.scheme_redirect":   "redirect_scheme",
	"redirect.host_redirect":     "redirect_host",
	"redirect.port_redirect":     "redirect_port",
	"redirect.path_redirect":     "redirect_path",
	"redirect.regex_rewrite":     "redirect_path",
	"response":                   "response_status",
	"session_recording":          "session_recording",
	"upstream_tunnel":            "upstream_tunnel_ssh_policy_id",
	"jwt_groups_filter":          "jwt_groups_filter_groups",
	"tls_custom_ca":              "tls_custom_ca_key_pair_id",
	"tls_client_cert":            "tls_client_key_pair_id",
	"tls_client_key":             "tls_client_key_pair_id",
	"tls_downstream_client_ca":   "tls_downstream_client_ca_key_pair_id",
	"load_balancing_weights":     "weights",
	"circuit_breaker_thresholds": "circuit_breaker_thresholds_max_connections",
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// formField finds the form field of a path of the route such as "to[2]"
// or "redirect.response_code": its tab, its name, and the index the path
// names (-1 for none).
func formField(path string) (tabKey, field string, index int, ok bool) {
	index = -1
	if m := indexRE.FindStringIndex(path); m != nil {
		if n, err := strconv.Atoi(path[m[0]+1 : m[1]-1]); err == nil {
			index = n
		}
	}
	path = indexRE.ReplaceAllString(path, "")
	for p := path; p != ""; p = parentPath(p) {
		name, aliased := fieldAliases[p]
		if !aliased {
			name = strings.ReplaceAll(p, ".", "_")
		}
		if t, found := tabOf[name]; found {
			return t, name, index, true
		}
	}
	return "", "", index, false
}

func parentPath(p string) string {
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return ""
	}
	return p[:i]
}

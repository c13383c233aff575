package compile

// LogFields are the names of the fields Pomerium v0.33.0 can write to its
// access and authorize logs (settings access_log_fields and
// authorize_log_fields), and those it writes when the settings name none.
// Besides these, "headers.<name>" logs one request header.
type LogFields struct {
	Access, Authorize               []string
	DefaultAccess, DefaultAuthorize []string
}

// PomeriumLogFields returns the log fields of Pomerium v0.33.0, each list in
// Pomerium's order; the caller owns the slices.
func PomeriumLogFields() LogFields {
	return LogFields{
		Access: []string{
			"authority", "client-certificate", "cluster-stat-name", "duration", "forwarded-for", "ip",
			"method", "path", "query", "referer", "request-id", "response-code", "response-code-details",
			"size", "upstream-cluster", "user-agent",
		},
		Authorize: []string{
			"body", "check-request-id", "cluster-stat-name", "email", "envoy-route-checksum",
			"envoy-route-id", "headers", "host", "id-token", "id-token-claims", "impersonate-email",
			"impersonate-session-id", "impersonate-user-id", "ip", "mcp-method", "mcp-tool",
			"mcp-tool-parameters", "method", "path", "query", "removed-groups-count", "request-id",
			"route-checksum", "route-id", "service-account-id", "session-id", "user",
		},
		DefaultAccess: []string{
			"upstream-cluster", "method", "authority", "path", "user-agent", "referer", "forwarded-for",
			"request-id", "duration", "size", "response-code", "response-code-details",
		},
		DefaultAuthorize: []string{
			"request-id", "check-request-id", "method", "path", "host", "ip", "session-id",
			"impersonate-session-id", "impersonate-user-id", "impersonate-email", "removed-groups-count",
			"service-account-id", "user", "email", "envoy-route-checksum", "envoy-route-id",
			"route-checksum", "route-id",
		},
	}
}

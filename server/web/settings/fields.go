package settings

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// kind is how a field is edited and shown.
type kind string

const (
	kindText     kind = "text"     // one line
	kindLongText kind = "longtext" // several lines: PEM, prose
	kindChoice   kind = "choice"   // a string out of a few; Choices
	kindBool     kind = "bool"     // unset, on or off
	kindNumber   kind = "number"
	kindEnum     kind = "enum"
	kindDuration kind = "duration"
	kindList     kind = "list" // one value per line
	kindMap      kind = "map"  // "name: value" per line
	kindJSON     kind = "json" // a google.protobuf.Struct as a JSON object
	kindKeyPair  kind = "keypair"
	// kindKeyPairs is the key pairs the certificates field references,
	// beside the inline certificates it keeps.
	kindKeyPairs kind = "keypairs"
)

// field is one setting on the page. Path is the field's name in
// pomerium.config.Settings, the spec of the stored settings, dotted for a
// field of a message field (blob_storage.bucket_uri): it is the name the
// use cases give the field in their refusals, and the form input's name.
type field struct {
	Path, Label, Hint string
	Kind              kind
	Choices           []string
	// URL: the value is an absolute URL (for the service URLs: several,
	// one a line).
	URL bool
	// Secret: never shown; blank input keeps the stored value. The store's
	// one table of secret fields says which are (store.IsSecret).
	Secret bool
	fds    []protoreflect.FieldDescriptor
}

// section is one tab of the page, saved on its own.
type section struct {
	Key, Title string
	Fields     []*field
}

// Options of a field of the table below.
type opt func(*field)

func hint(h string) opt       { return func(f *field) { f.Hint = h } }
func choices(c ...string) opt { return func(f *field) { f.Kind, f.Choices = kindChoice, c } }
func as(k kind) opt           { return func(f *field) { f.Kind = k } }
func urlField() opt           { return func(f *field) { f.URL = true } }
func f(path, label string, opts ...opt) *field {
	fd := &field{Path: path, Label: label}
	for _, o := range opts {
		o(fd)
	}
	return fd
}

const durationHint = "A duration such as 30s, 5m or 1h30m."

// sections follow the sections of the Enterprise Console's settings.
// Fields that name files on the Pomerium host, which the console cannot
// check, are not offered; nor are those the console's API does not take
// (pomerium.dashboard.Settings lacks them).
var sections = mustSections([]*section{
	{Key: "general", Title: "General", Fields: []*field{
		f("address", "Address", hint("Where Pomerium listens, e.g. :443.")),
		f("http_redirect_addr", "HTTP redirect address", hint("Where Pomerium redirects plain HTTP to HTTPS, e.g. :80.")),
		f("grpc_address", "gRPC address"),
		f("grpc_insecure", "gRPC without TLS"),
		f("insecure_server", "Serve without TLS"),
		f("services", "Services", hint("all, or a comma-separated list of authenticate, authorize, proxy, databroker.")),
		f("authenticate_service_url", "Authenticate service URL", urlField()),
		f("authorize_service_urls", "Authorize service URLs", urlField(), hint("One per line.")),
		f("databroker_service_urls", "Databroker service URLs", urlField(), hint("One per line.")),
		f("shared_secret", "Shared secret", hint("Base64; the services of one deployment share it.")),
	}},
	{Key: "proxy", Title: "Proxy", Fields: []*field{
		f("codec_type", "Codec"),
		f("normalize_path", "Normalize paths"),
		f("merge_slashes", "Merge slashes"),
		f("path_with_escaped_slashes_action", "Paths with escaped slashes"),
		f("headers_with_underscores_action", "Headers with underscores"),
		f("allow_upgrades", "Allowed upgrades", hint("One protocol per line, e.g. websocket.")),
		f("envoy_dynamic_extensions", "Envoy dynamic extensions", hint("One per line.")),
		f("circuit_breaker_thresholds.max_connections", "Circuit breaker: maximum connections"),
		f("circuit_breaker_thresholds.max_pending_requests", "Circuit breaker: maximum pending requests"),
		f("circuit_breaker_thresholds.max_requests", "Circuit breaker: maximum requests"),
		f("circuit_breaker_thresholds.max_retries", "Circuit breaker: maximum retries"),
		f("circuit_breaker_thresholds.max_connection_pools", "Circuit breaker: maximum connection pools"),
	}},
	{Key: "authentication", Title: "Identity provider", Fields: []*field{
		f("idp_provider", "Provider", hint("apple, auth0, azure, cognito, github, gitlab, google, oidc, okta, onelogin or ping.")),
		f("idp_provider_url", "Provider URL", urlField()),
		f("idp_client_id", "Client ID"),
		f("idp_client_secret", "Client secret"),
		f("scopes", "Scopes", hint("One per line.")),
		f("request_params", "Request parameters", hint("One per line, as name: value.")),
		f("idp_access_token_allowed_audiences", "Access token allowed audiences", hint("One per line.")),
		f("directory_provider", "Directory sync provider"),
		f("directory_provider_options", "Directory sync options", hint("A JSON object; it holds credentials.")),
		f("directory_provider_refresh_interval", "Directory sync interval", hint(durationHint)),
		f("directory_provider_refresh_timeout", "Directory sync timeout", hint(durationHint)),
	}},
	{Key: "cookies", Title: "Cookies", Fields: []*field{
		f("cookie_name", "Name"),
		f("cookie_secret", "Secret", hint("32 random bytes, base64.")),
		f("cookie_domain", "Domain"),
		f("cookie_http_only", "HTTP only"),
		f("cookie_same_site", "SameSite", choices("lax", "strict", "none")),
		f("cookie_expire", "Expiry", hint(durationHint)),
	}},
	{Key: "timeouts", Title: "Timeouts and DNS", Fields: []*field{
		f("timeout_read", "Read timeout", hint(durationHint)),
		f("timeout_write", "Write timeout", hint(durationHint)),
		f("timeout_idle", "Idle timeout", hint(durationHint)),
		f("default_upstream_timeout", "Default upstream timeout", hint(durationHint)),
		f("dns_lookup_family", "DNS lookup family", choices("AUTO", "V4_ONLY", "V6_ONLY", "V4_PREFERRED", "ALL")),
		f("dns_query_timeout", "DNS query timeout", hint(durationHint)),
		f("dns_query_tries", "DNS query tries"),
		f("dns_refresh_rate", "DNS refresh rate", hint(durationHint)),
		f("dns_failure_refresh_rate", "DNS failure refresh rate", hint(durationHint)),
		f("dns_udp_max_queries", "DNS UDP maximum queries"),
		f("dns_use_tcp", "DNS over TCP"),
	}},
	{Key: "headers", Title: "Headers", Fields: []*field{
		f("set_response_headers", "Response headers", hint("One per line, as name: value.")),
		f("jwt_claims_headers", "JWT claim headers", hint("One per line, as header: claim.")),
		f("pass_identity_headers", "Pass identity headers"),
		f("skip_xff_append", "Do not append X-Forwarded-For"),
		f("bearer_token_format", "Bearer token format"),
		f("jwt_issuer_format", "JWT issuer format"),
		f("jwt_groups_filter", "JWT groups filter", hint("One group per line.")),
		f("jwt_groups_filter_infer_from_ppl", "Infer the JWT groups filter from policies"),
	}},
	{Key: "tls", Title: "TLS and certificates", Fields: []*field{
		f("certificate_key_pair_ids", "Certificates", as(kindKeyPairs)),
		f("certificate_authority", "Certificate authority", as(kindLongText), hint("PEM, base64-encoded; or choose a key pair below.")),
		f("certificate_authority_key_pair_id", "Certificate authority key pair", as(kindKeyPair)),
		f("downstream_mtls.ca", "Client CA", as(kindLongText), hint("PEM, base64-encoded; or choose a key pair below.")),
		f("downstream_mtls.ca_key_pair_id", "Client CA key pair", as(kindKeyPair)),
		f("autocert", "Autocert"),
		f("autocert_use_staging", "Autocert: use the staging CA"),
		f("autocert_must_staple", "Autocert: must staple"),
		f("autocert_dir", "Autocert directory"),
	}},
	{Key: "logging", Title: "Logging", Fields: []*field{
		f("log_level", "Log level", choices("debug", "info", "warn", "error")),
		f("proxy_log_level", "Proxy log level", choices("trace", "debug", "info", "warning", "error", "critical", "off")),
		f("access_log_fields", "Access log fields", hint("One per line.")),
		f("authorize_log_fields", "Authorize log fields", hint("One per line.")),
	}},
	{Key: "telemetry", Title: "Metrics and tracing", Fields: []*field{
		f("metrics_address", "Metrics address", hint("e.g. :9090")),
		f("otel_traces_exporter", "Traces exporter", choices("otlp", "none")),
		f("otel_traces_sampler_arg", "Traces sampling rate", hint("Between 0 and 1.")),
		f("otel_resource_attributes", "Resource attributes", hint("One per line, as key=value.")),
		f("otel_log_level", "OpenTelemetry log level"),
		f("otel_attribute_value_length_limit", "Attribute value length limit"),
		f("otel_exporter_otlp_endpoint", "OTLP endpoint", urlField()),
		f("otel_exporter_otlp_traces_endpoint", "OTLP traces endpoint", urlField()),
		f("otel_exporter_otlp_protocol", "OTLP protocol", choices("grpc", "http/protobuf")),
		f("otel_exporter_otlp_traces_protocol", "OTLP traces protocol", choices("grpc", "http/protobuf")),
		f("otel_exporter_otlp_headers", "OTLP headers", hint("One per line, as key=value; they often hold API keys.")),
		f("otel_exporter_otlp_traces_headers", "OTLP traces headers", hint("One per line, as key=value.")),
		f("otel_exporter_otlp_timeout", "OTLP timeout", hint(durationHint)),
		f("otel_exporter_otlp_traces_timeout", "OTLP traces timeout", hint(durationHint)),
		f("otel_bsp_schedule_delay", "Batch span processor delay", hint(durationHint)),
		f("otel_bsp_max_export_batch_size", "Batch span processor maximum batch size"),
	}},
	{Key: "branding", Title: "Branding", Fields: []*field{
		f("primary_color", "Primary colour", hint("e.g. #6E43E8")),
		f("secondary_color", "Secondary colour"),
		f("darkmode_primary_color", "Dark mode primary colour"),
		f("darkmode_secondary_color", "Dark mode secondary colour"),
		f("logo_url", "Logo URL", urlField()),
		f("favicon_url", "Favicon URL", urlField()),
		f("error_message_first_paragraph", "First paragraph of error pages", as(kindLongText)),
	}},
	{Key: "ssh", Title: "SSH", Fields: []*field{
		f("ssh_address", "SSH address"),
		f("ssh_host_key_files", "Host key files", hint("One path per line.")),
		f("ssh_host_keys", "Host keys", hint("One PEM key per line.")),
		f("ssh_user_ca_key_file", "User CA key file"),
		f("ssh_user_ca_key", "User CA key", as(kindLongText)),
	}},
	{Key: "advanced", Title: "Advanced", Fields: []*field{
		f("google_cloud_serverless_authentication_service_account", "Google Cloud serverless service account", as(kindLongText)),
		f("mcp_allowed_as_metadata_domains", "MCP: domains allowed as metadata", hint("One per line.")),
		f("mcp_allowed_client_id_domains", "MCP: domains allowed as client ids", hint("One per line.")),
		f("session_recording_concurrency", "Session recording concurrency"),
		f("blob_storage.bucket_uri", "Blob storage bucket URI"),
		f("blob_storage.managed_prefix", "Blob storage managed prefix"),
	}},
})

// mustSections resolves every field's path in pomerium.config.Settings,
// whether it holds a secret, and, where the table does not say, its kind
// from the field's type. A path the message lacks is a mistake in the
// table, which the first test that loads the package finds.
func mustSections(list []*section) []*section {
	root := (&configpb.Settings{}).ProtoReflect().Descriptor()
	for _, s := range list {
		for _, fl := range s.Fields {
			md := root
			for _, name := range strings.Split(fl.Path, ".") {
				if md == nil {
					panic(fmt.Sprintf("settings: %s: not a message field", fl.Path))
				}
				fd := md.Fields().ByName(protoreflect.Name(name))
				if fd == nil {
					panic(fmt.Sprintf("settings: pomerium.config.Settings has no field %s", fl.Path))
				}
				fl.fds = append(fl.fds, fd)
				md = fd.Message()
			}
			fl.Secret = store.IsSecret(fl.leaf())
			if fl.Kind == "" {
				fl.Kind = kindOf(fl.leaf())
			}
		}
	}
	return list
}

// kindOf is how a field of a given type is edited.
func kindOf(fd protoreflect.FieldDescriptor) kind {
	switch {
	case fd.IsMap():
		return kindMap
	case fd.IsList():
		return kindList
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return kindBool
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Uint64Kind, protoreflect.DoubleKind, protoreflect.FloatKind:
		return kindNumber
	case protoreflect.EnumKind:
		return kindEnum
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Duration":
			return kindDuration
		case "google.protobuf.Struct":
			return kindJSON
		case "pomerium.config.Settings.StringList":
			return kindList
		}
	case protoreflect.StringKind:
		return kindText
	}
	panic(fmt.Sprintf("settings: no way to edit %s", fd.FullName()))
}

// sectionOf returns the section with key, the first for "".
func sectionOf(key string) *section {
	if key == "" {
		return sections[0]
	}
	for _, s := range sections {
		if s.Key == key {
			return s
		}
	}
	return nil
}

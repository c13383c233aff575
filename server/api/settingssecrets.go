package api

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// Secrets of the settings are shown to admins of the Global namespace only,
// the callers who may change them: with the shared secret a viewer could
// write to Pomerium's databroker directly, and with the cookie secret forge
// sessions. Other callers get the settings without them (GetSettings) and
// settings snapshots in the activity log with each secret replaced by
// redacted.

// redacted stands for a secret in a snapshot of the activity log.
const redacted = "[redacted]"

// settingsSecrets are the fields of pomerium.dashboard.Settings that hold
// secrets, besides the private keys of inline certificates.
var settingsSecrets = fieldsOf((&pb.Settings{}).ProtoReflect().Descriptor(),
	"shared_secret", "cookie_secret", "idp_client_secret",
	"google_cloud_serverless_authentication_service_account",
	"identity_provider_options", // directory sync credentials
	"ssh_user_ca_key", "ssh_host_keys",
	"otel_exporter_otlp_headers", "otel_exporter_otlp_traces_headers", // exporter API keys
)

// settingsSpecSecrets are the fields of the pomerium.config.Settings spec,
// as activity log snapshots name them, that hold secrets: the counterparts
// of settingsSecrets and those an import may set that the API does not
// show.
var settingsSpecSecrets = names(fieldsOf((&configpb.Settings{}).ProtoReflect().Descriptor(),
	"shared_secret", "cookie_secret", "idp_client_secret",
	"google_cloud_serverless_authentication_service_account",
	"directory_provider_options",
	"ssh_user_ca_key", "ssh_host_keys",
	"otel_exporter_otlp_headers", "otel_exporter_otlp_traces_headers",
	"signing_key", "databroker_storage_connection_string", "metrics_basic_auth", "autocert_eab_mac_key",
))

// fieldsOf looks up fields of a message by name. A name the message lacks
// is a mistake in the lists above, found by the first test that loads the
// package.
func fieldsOf(md protoreflect.MessageDescriptor, names ...string) []protoreflect.FieldDescriptor {
	out := make([]protoreflect.FieldDescriptor, len(names))
	for i, n := range names {
		if out[i] = md.Fields().ByName(protoreflect.Name(n)); out[i] == nil {
			panic(fmt.Sprintf("api: %s has no field %q", md.FullName(), n))
		}
	}
	return out
}

func names(fields []protoreflect.FieldDescriptor) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f.Name())
	}
	return out
}

// redactSettings clears the secrets of s.
func redactSettings(s *pb.Settings) {
	m := s.ProtoReflect()
	for _, f := range settingsSecrets {
		m.Clear(f)
	}
	for _, c := range s.Certificates {
		c.KeyBytes = nil
	}
}

// redactSettingsSnapshot replaces the secrets of a settings snapshot of the
// activity log (store.Snapshot: JSON with the spec under "spec") with
// redacted. A snapshot that is not of that shape is dropped whole rather
// than shown with secrets in it.
func redactSettingsSnapshot(snapshot string) string {
	if snapshot == "" {
		return ""
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(snapshot), &doc); err != nil {
		return ""
	}
	spec, _ := doc["spec"].(map[string]any)
	for _, n := range settingsSpecSecrets {
		if _, ok := spec[n]; ok {
			spec[n] = redacted
		}
	}
	certs, _ := spec["certificates"].([]any)
	for _, c := range certs {
		if cert, ok := c.(map[string]any); ok && cert["key_bytes"] != nil {
			cert["key_bytes"] = redacted
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return ""
	}
	return string(out)
}

package api

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// Secrets of the settings are shown to admins of the Global namespace only,
// the callers who may change them: with the shared secret a viewer could
// write to Pomerium's databroker directly, and with the cookie secret forge
// sessions. Other callers get the settings without them. The activity log
// holds no secrets at all: store.Snapshot leaves them out and names them.

// settingsSecrets are the fields of pomerium.dashboard.Settings that hold
// secrets, besides the private keys of inline certificates.
var settingsSecrets = fieldsOf((&pb.Settings{}).ProtoReflect().Descriptor(),
	"shared_secret", "cookie_secret", "idp_client_secret",
	"google_cloud_serverless_authentication_service_account",
	"identity_provider_options", // directory sync credentials
	"ssh_user_ca_key", "ssh_host_keys",
	"otel_exporter_otlp_headers", "otel_exporter_otlp_traces_headers", // exporter API keys
)

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

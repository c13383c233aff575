package store

import (
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// secretFields are the fields of route and settings specs that hold
// secrets, by full name: the one list of them, every private key, client
// secret, cookie or shared secret, token, password-bearing connection
// string or header and service account that pomerium.config's Route and
// Settings carry (certificate authorities, certificates and file paths
// are not secret). Activity log snapshots leave them out and name them
// instead, so that the log shows that a secret was set or changed without
// holding it; the use cases clear them for callers who may not read them
// (RedactSecrets); every surface shows objects only through those two.
// At rest the store seals them inside the object's data (SealData); a
// field added here needs SealedVersion raised, so that stores seal it in
// the rows that hold it in plain text. A key pair's private key is not a
// spec field: the store never returns it unless asked (WithSecrets).
var secretFields = map[protoreflect.FullName]bool{
	"pomerium.config.Route.tls_client_key":                                            true,
	"pomerium.config.Route.idp_client_secret":                                         true,
	"pomerium.config.Route.kubernetes_service_account_token":                          true,
	"pomerium.config.UpstreamOAuth2.client_secret":                                    true,
	"pomerium.config.Settings.shared_secret":                                          true,
	"pomerium.config.Settings.cookie_secret":                                          true,
	"pomerium.config.Settings.idp_client_secret":                                      true,
	"pomerium.config.Settings.signing_key":                                            true,
	"pomerium.config.Settings.autocert_eab_mac_key":                                   true,
	"pomerium.config.Settings.ssh_user_ca_key":                                        true,
	"pomerium.config.Settings.ssh_host_keys":                                          true,
	"pomerium.config.Settings.metrics_basic_auth":                                     true,
	"pomerium.config.Settings.otel_exporter_otlp_headers":                             true,
	"pomerium.config.Settings.otel_exporter_otlp_traces_headers":                      true,
	"pomerium.config.Settings.databroker_storage_connection_string":                   true,
	"pomerium.config.Settings.google_cloud_serverless_authentication_service_account": true,
	"pomerium.config.Settings.directory_provider_options":                             true,
	"pomerium.config.Settings.Certificate.key_bytes":                                  true,
}

// IsSecret reports whether a field of a route or settings spec holds a
// secret.
func IsSecret(fd protoreflect.FieldDescriptor) bool { return secretFields[fd.FullName()] }

// RedactSecrets clears every secret field of a route or settings spec in
// place, at any depth, and returns the paths of those that were set,
// sorted ("tls_client_key", "mcp.server.upstream_oauth2.client_secret").
func RedactSecrets(m proto.Message) []string {
	var paths []string
	redact(m.ProtoReflect(), "", &paths)
	slices.Sort(paths)
	return paths
}

// Redact clears the secrets of a route or settings object in place: those
// of its spec (RedactSecrets) and the explicit fields that name a secret,
// which would tell a secret set to "" from one that is hidden. It returns
// the paths of those that were set, sorted; nothing for other kinds.
func Redact(obj Object) []string {
	var spec proto.Message
	var explicit *[]string
	switch o := obj.(type) {
	case *Route:
		spec, explicit = o.Spec, &o.Explicit
	case *Settings:
		spec, explicit = o.Spec, &o.Explicit
	default:
		return nil
	}
	if spec == nil {
		return nil
	}
	paths := RedactSecrets(spec)
	var secret []string
	*explicit, secret = withoutSecretPaths(spec.ProtoReflect().Descriptor(), *explicit)
	for _, p := range secret {
		paths = append(paths, fieldOf(p))
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// withoutSecrets returns a copy of m with every secret field cleared, and
// the paths of the secret fields that were set, sorted.
func withoutSecrets(m proto.Message) (proto.Message, []string) {
	c := proto.Clone(m)
	var paths []string
	redact(c.ProtoReflect(), "spec", &paths)
	slices.Sort(paths)
	return c, paths
}

func redact(m protoreflect.Message, path string, paths *[]string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := string(fd.Name())
		if path != "" {
			p = path + "." + p
		}
		switch {
		case secretFields[fd.FullName()]:
			m.Clear(fd)
			*paths = append(*paths, p)
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				redact(v.List().Get(i).Message(), p+"["+strconv.Itoa(i)+"]", paths)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				redact(mv.Message(), p+"["+k.String()+"]", paths)
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			redact(v.Message(), p, paths)
		}
		return true
	})
}

package convert

import (
	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// settingsByHand are the fields of pomerium.dashboard.Settings that
// SettingsToStore converts itself (settingsfields.go); every other field is
// copied by name into the pomerium.config.Settings spec.
var settingsByHand = []string{
	// Inline certificates, or references to key pairs (key_pair_id), which
	// Pomerium's records keep apart in certificate_key_pair_ids.
	"certificates",
	// One URL, against a list of them.
	"authorize_service_url", "databroker_service_url",
	// The client CA of downstream mTLS, inside downstream_mtls in records.
	"client_ca", "client_ca_key_pair_id",
	// Directory sync, named directory_provider* in records.
	"identity_provider", "identity_provider_options",
	"identity_provider_refresh_interval", "identity_provider_refresh_timeout",
	// One message, against jwt_groups_filter and
	// jwt_groups_filter_infer_from_ppl.
	"jwt_groups_filter",
	// A StringList message, against a repeated field.
	"mcp_allowed_as_metadata_domains", "mcp_allowed_client_id_domains",
	// The enums number their values differently (the API's 0 is UNKNOWN,
	// the records' 0 is AUTO): converted by name.
	"codec_type",
}

const (
	fileOnPomeriumHost = "names a file on the Pomerium host, which the console cannot check: " +
		"upload the certificate as a key pair and refer to it by id"
	settingsIdentity = "identity: there is one settings object, with a fixed id, whose modification time the store keeps"
)

// settingsUnconverted are the fields of pomerium.dashboard.Settings not taken
// from input, with the reason.
var settingsUnconverted = map[string]unconverted{
	"id":            {reason: settingsIdentity},
	"modified_at":   {reason: settingsIdentity},
	"originator_id": {reason: "the console writes its own originator id into every record; where an object came from is in sync_status.origin"},
	"version":       {reason: "output only (Meta): a write states the version it expects in expected_version"},
	"sync_status":   {reason: "output only (Meta): the reconciler's finding"},
	"cookie_secure": {reason: "Pomerium v0.33.0 always marks its cookies Secure and its records have no such field: " +
		"true is accepted and dropped, false is refused"},
	"cluster_id": {reason: "names the cluster the settings are of, which the store keeps in their id: SetSettings passes it on"},
	"idp_service_account": {refuse: true, reason: "Pomerium v0.33.0 records have no idp_service_account; " +
		"directory sync takes identity_provider and identity_provider_options"},
	"idp_refresh_directory_interval": {refuse: true, reason: "Pomerium v0.33.0 records have no such field; use identity_provider_refresh_interval"},
	"idp_refresh_directory_timeout":  {refuse: true, reason: "Pomerium v0.33.0 records have no such field; use identity_provider_refresh_timeout"},
	"cache_service_url":              {refuse: true, reason: "Pomerium v0.33.0 has no cache service; use databroker_service_url"},
	"certificate_authority_file":     {refuse: true, reason: fileOnPomeriumHost + " (certificate_authority_key_pair_id)"},
	"client_ca_file":                 {refuse: true, reason: fileOnPomeriumHost + " (client_ca_key_pair_id)"},
	"session_recording_enabled": {refuse: true, reason: "Pomerium v0.33.0 settings records have no switch for session recording; " +
		"turn it on per route with session_recording.enabled"},
}

// settingsOutByHand are the fields of the pomerium.config.Settings spec that
// SettingsFromStore converts itself (or not at all, for the identity the
// store owns); every other field is copied by name or left out.
var settingsOutByHand = []string{
	"id", "namespace_id", "cluster_id", "originator_id", "name", "created_at", "modified_at",
	"certificates", "certificate_key_pair_ids",
	"authorize_service_urls", "databroker_service_urls",
	"downstream_mtls",
	"directory_provider", "directory_provider_options",
	"directory_provider_refresh_interval", "directory_provider_refresh_timeout",
	"jwt_groups_filter", "jwt_groups_filter_infer_from_ppl",
	"mcp_allowed_as_metadata_domains", "mcp_allowed_client_id_domains",
	"codec_type",
}

var (
	settingsIn  = inputCopier("settings", settingsByHand, settingsUnconverted)
	settingsOut = outputCopier(settingsOutByHand)
)

// SettingsToStore converts the settings of the API into the spec of the one
// store.Settings object, whose identity the store owns. The fields
// settingsUnconverted lists are ignored, or refused where it says so; any
// other input that cannot be represented is a *FieldError.
// SettingsExplicit says which of its optional fields the spec cannot hold.
func SettingsToStore(s *pb.Settings) (*configpb.Settings, error) {
	spec := &configpb.Settings{}
	if err := settingsIn.copy(spec, s); err != nil {
		return nil, err
	}
	if s.CookieSecure != nil && !*s.CookieSecure {
		return nil, fieldErrorf("settings.cookie_secure", "cannot be false: Pomerium v0.33.0 always marks its cookies Secure")
	}
	var err error
	if spec.Certificates, spec.CertificateKeyPairIds, err = certificatesToStore(s.Certificates); err != nil {
		return nil, err
	}
	spec.AuthorizeServiceUrls = urlsToStore(s.AuthorizeServiceUrl)
	spec.DatabrokerServiceUrls = urlsToStore(s.DatabrokerServiceUrl)
	if s.ClientCa != nil || s.ClientCaKeyPairId != nil {
		spec.DownstreamMtls = &configpb.DownstreamMtlsSettings{Ca: clonePtr(s.ClientCa), CaKeyPairId: clonePtr(s.ClientCaKeyPairId)}
	}
	directoryToStore(spec, s)
	spec.JwtGroupsFilter, spec.JwtGroupsFilterInferFromPpl = jwtGroupsFilterToStore(s.JwtGroupsFilter)
	spec.McpAllowedAsMetadataDomains = stringListToStore(s.McpAllowedAsMetadataDomains)
	spec.McpAllowedClientIdDomains = stringListToStore(s.McpAllowedClientIdDomains)
	if spec.CodecType, err = codecTypeToStore(s.CodecType); err != nil {
		return nil, err
	}
	return spec, nil
}

// SettingsFromStore converts the stored settings for the API, with the
// reconciler's finding about them (nil: none yet; see Meta), their explicit
// fields set to their zero value. Spec fields the API has no place for are
// left out.
func SettingsFromStore(s *store.Settings, st *store.ObjectStatus) *pb.Settings {
	out := &pb.Settings{Id: s.ID, ModifiedAt: Timestamp(s.ModifiedAt)}
	if s.ID != "" && s.ID != store.SettingsID {
		// A cluster's settings bear its id.
		out.ClusterId = new(s.ID)
	}
	out.Version, out.SyncStatus = Meta(s.ObjectMeta, st)
	spec := s.Spec
	if spec == nil {
		return out
	}
	settingsOut.mustCopy(out, spec)
	out.Certificates = certificatesFromStore(spec.Certificates, spec.CertificateKeyPairIds)
	out.AuthorizeServiceUrl = urlsFromStore(spec.AuthorizeServiceUrls)
	out.DatabrokerServiceUrl = urlsFromStore(spec.DatabrokerServiceUrls)
	if m := spec.DownstreamMtls; m != nil {
		out.ClientCa, out.ClientCaKeyPairId = clonePtr(m.Ca), clonePtr(m.CaKeyPairId)
	}
	directoryFromStore(out, spec)
	out.JwtGroupsFilter = jwtGroupsFilterFromStore(spec.JwtGroupsFilter, spec.JwtGroupsFilterInferFromPpl)
	out.McpAllowedAsMetadataDomains = stringListFromStore(spec.McpAllowedAsMetadataDomains)
	out.McpAllowedClientIdDomains = stringListFromStore(spec.McpAllowedClientIdDomains)
	out.CodecType = codecTypeFromStore(spec.CodecType)
	RestoreExplicit(out, s.Explicit)
	return out
}

// SettingsExplicit returns the optional fields of s set to a zero value
// that spec, what SettingsToStore made of s, cannot hold
// (authorize_service_url "", codec_type CODEC_TYPE_UNKNOWN): what the
// store keeps beside it (store.Settings.Explicit).
func SettingsExplicit(s *pb.Settings, spec *configpb.Settings) []string {
	return ExplicitZeroes(s, SettingsFromStore(&store.Settings{Spec: spec}, nil))
}

// SettingsThrough is a stored spec after a trip through the API's
// Settings: what the API can express of it. SetSettings keeps the stored
// fields that do not survive the trip (manage.SettingsInput.Through).
func SettingsThrough(spec *configpb.Settings) (*configpb.Settings, error) {
	return SettingsToStore(SettingsFromStore(&store.Settings{Spec: spec}, nil))
}

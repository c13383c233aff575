package compile

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func compileSettings(t *testing.T, spec *configpb.Settings) (*Result, Status) {
	t.Helper()
	st := routeState(t)
	st.KeyPairs = append(st.KeyPairs, keyPair(keyPairID(4), nsGlobal, "server", readTestdata(t, "server.pem"), readTestdata(t, "server-key.pem")))
	st.Settings = &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: spec}
	res := Compile(st)
	return res, res.Status[ObjectKey{store.KindSettings, store.SettingsID}]
}

func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	server, serverKey := readTestdata(t, "server.pem"), readTestdata(t, "server-key.pem")
	for _, tc := range []struct {
		name string
		spec *configpb.Settings
		want Status
	}{
		{"empty", &configpb.Settings{}, validStatus()},
		{"typical", &configpb.Settings{
			Services:               new("proxy,authorize"),
			SharedSecret:           new(base64.StdEncoding.EncodeToString(make([]byte, 32))),
			AuthenticateServiceUrl: new("https://authenticate.example.com"),
			AuthorizeServiceUrls:   []string{"https://authorize.internal"},
			DatabrokerServiceUrls:  []string{"https://databroker.internal"},
			IdpProviderUrl:         new("https://idp.example.com"),
			Certificates:           []*configpb.Settings_Certificate{{CertBytes: server, KeyBytes: serverKey}},
			CertificateKeyPairIds:  []string{keyPairID(4)},
			MetricsAddress:         new(":9090"),
			MetricsBasicAuth:       new(base64.StdEncoding.EncodeToString([]byte("u:p"))),
			LogLevel:               new("debug"),
			CookieSameSite:         new("Lax"),
			DnsLookupFamily:        new("V4_ONLY"),
			AutocertEabKeyId:       new("kid"),
			AutocertEabMacKey:      new("bWFj"),
		}, validStatus()},
		{"services", &configpb.Settings{Services: new("proxy,cache2")}, invalid("spec.services", `"cache2" is not one of all, authenticate, authorize, databroker, proxy`)},
		{"no services", &configpb.Settings{Services: new(" , ")}, invalid("spec.services", "names no service")},
		{"empty shared secret", &configpb.Settings{SharedSecret: new("")}, invalid("spec.shared_secret", "must not be empty")},
		{"spaced shared secret", &configpb.Settings{SharedSecret: new(" AAAA")}, invalid("spec.shared_secret", "must not start or end with white space")},
		{"shared secret not base64", &configpb.Settings{SharedSecret: new("secret!")}, invalid("spec.shared_secret", "is not base64: illegal base64 data at input byte 6")},
		{"authenticate url", &configpb.Settings{AuthenticateServiceUrl: new("authenticate.example.com")}, invalid("spec.authenticate_service_url", `"authenticate.example.com" has no scheme`)},
		{"signout url", &configpb.Settings{SignoutRedirectUrl: new("https://")}, invalid("spec.signout_redirect_url", `"https://" has no host`)},
		{"authorize urls", &configpb.Settings{AuthorizeServiceUrls: []string{"https://a", "b"}}, invalid("spec.authorize_service_urls[1]", `"b" has no scheme`)},
		{"databroker urls", &configpb.Settings{DatabrokerServiceUrls: []string{"https://a b"}}, invalid("spec.databroker_service_urls[0]", `parse "https://a b": invalid character " " in host name`)},
		{"idp url", &configpb.Settings{IdpProviderUrl: new("/realms/x")}, invalid("spec.idp_provider_url", `"/realms/x" has no scheme`)},
		{"certificate", &configpb.Settings{Certificates: []*configpb.Settings_Certificate{{CertBytes: server}}}, invalid("spec.certificates[0]", "tls: failed to find any PEM data in key input")},
		{"trusted ca", &configpb.Settings{AutocertTrustedCa: new("-----BEGIN")}, invalid("spec.autocert_trusted_ca", "is not base64: illegal base64 data at input byte 0")},
		{"mtls ca", &configpb.Settings{DownstreamMtls: &configpb.DownstreamMtlsSettings{Ca: new("%%")}}, invalid("spec.downstream_mtls.ca", "is not base64: illegal base64 data at input byte 0")},
		{"metrics address", &configpb.Settings{MetricsAddress: new("9090")}, invalid("spec.metrics_address", `"9090" is not host:port`)},
		{"debug port", &configpb.Settings{DebugAddress: new("localhost:0")}, invalid("spec.debug_address", `port "0" is not a positive number`)},
		{"log level", &configpb.Settings{LogLevel: new("verbose")}, invalid("spec.log_level", `"verbose" is not one of trace, debug, info, warn, warning, error, critical, fatal, panic, off, none, disabled`)},
		{"proxy log level", &configpb.Settings{ProxyLogLevel: new("loud")}, invalid("spec.proxy_log_level", `"loud" is not one of trace, debug, info, warn, warning, error, critical, fatal, panic, off, none, disabled`)},
		{"same site", &configpb.Settings{CookieSameSite: new("sometimes")}, invalid("spec.cookie_same_site", `"sometimes" is not one of strict, lax, none`)},
		{"dns family", &configpb.Settings{DnsLookupFamily: new("v4")}, invalid("spec.dns_lookup_family", `"v4" is not one of AUTO, V4_ONLY, V6_ONLY, V4_PREFERRED, ALL`)},
		{"storage type", &configpb.Settings{DatabrokerStorageType: new("redis")}, invalid("spec.databroker_storage_type", `"redis" is not one of memory, file, postgres`)},
		{"metrics basic auth", &configpb.Settings{MetricsBasicAuth: new(base64.StdEncoding.EncodeToString([]byte("nocolon")))}, invalid("spec.metrics_basic_auth", "must be base64 of user:password")},
		{"eab key id alone", &configpb.Settings{AutocertEabKeyId: new("kid")}, invalid("spec.autocert_eab_mac_key", "is required when autocert_eab_key_id is set")},
		{"eab mac alone", &configpb.Settings{AutocertEabMacKey: new("bWFj")}, invalid("spec.autocert_eab_key_id", "is required when autocert_eab_mac_key is set")},
		{"eab mac encoding", &configpb.Settings{AutocertEabKeyId: new("kid"), AutocertEabMacKey: new("bWFj==")}, invalid("spec.autocert_eab_mac_key", "is not unpadded base64url: illegal base64 data at input byte 4")},
		{"certificate key pair without key", &configpb.Settings{CertificateKeyPairIds: []string{keyPairID(4), keyPairID(1)}}, invalid("spec.certificate_key_pair_ids[1]", `key pair "ca" (`+keyPairID(1)+`) has no private key`)},
		{"missing key pair", &configpb.Settings{MetricsClientCaKeyPairId: new(keyPairID(9))}, invalid("spec.metrics_client_ca_key_pair_id", "key pair "+keyPairID(9)+" does not exist")},
		{"invalid key pair", &configpb.Settings{CertificateAuthorityKeyPairId: new(keyPairID(3))}, invalid("spec.certificate_authority_key_pair_id", `key pair "garbage" (`+keyPairID(3)+`) is invalid: certificate: is not PEM (after 0 certificates)`)},
		{"key pair and value", &configpb.Settings{AutocertTrustedCaKeyPairId: new(keyPairID(1)), AutocertTrustedCa: new("AAAA")}, invalid("spec.autocert_trusted_ca_key_pair_id", "set either the key pair or the value it replaces, not both")},
		{"autocert ca key pair", &configpb.Settings{AutocertCaKeyPairId: new(keyPairID(1))}, invalid("spec.autocert_ca_key_pair_id", "autocert_ca is the URL of an ACME directory; a key pair cannot supply it")},
		{"ssh host key pairs", &configpb.Settings{SshHostKeyPairIds: []string{keyPairID(1)}}, invalid("spec.ssh_host_key_pair_ids", "SSH host keys cannot come from key pairs: Pomerium would use the certificate as the private key")},
		{"ssh user ca key pair", &configpb.Settings{SshUserCaKeyPairId: new(keyPairID(1))}, invalid("spec.ssh_user_ca_key_pair_id", "the SSH user CA key cannot come from a key pair: Pomerium would use the certificate as the private key")},
		{"nil spec", nil, invalid("spec", "is required")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, got := compileSettings(t, tc.spec)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if emitted := findRecord(res, RecordTypeSettings, store.SettingsID) != nil; emitted != tc.want.Valid {
				t.Errorf("record emitted = %v, want %v", emitted, tc.want.Valid)
			}
		})
	}
}

func TestSettingsKeyPairsAreInlined(t *testing.T) {
	t.Parallel()
	res, status := compileSettings(t, &configpb.Settings{
		CertificateAuthorityKeyPairId: new(keyPairID(1)),
		MetricsClientCaKeyPairId:      new(keyPairID(1)),
		AutocertTrustedCaKeyPairId:    new(keyPairID(1)),
		DownstreamMtls:                &configpb.DownstreamMtlsSettings{CaKeyPairId: new(keyPairID(1)), MaxVerifyDepth: new(uint32(2))},
		CertificateKeyPairIds:         []string{keyPairID(4)},
	})
	if !status.Valid {
		t.Fatalf("status %+v", status)
	}
	ca := base64.StdEncoding.EncodeToString(readTestdata(t, "ca.pem"))
	want := &configpb.Settings{
		Id: new(store.SettingsID), NamespaceId: new(nsGlobal), OriginatorId: new(OriginatorID),
		CertificateAuthority:  new(ca),
		MetricsClientCa:       new(ca),
		AutocertTrustedCa:     new(ca),
		DownstreamMtls:        &configpb.DownstreamMtlsSettings{Ca: new(ca), MaxVerifyDepth: new(uint32(2))},
		CertificateKeyPairIds: []string{keyPairID(4)},
	}
	got := decode(t, findRecord(res, RecordTypeSettings, store.SettingsID))
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&configpb.Settings{}, "created_at", "modified_at")); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

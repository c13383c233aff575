package compile

import (
	"cmp"
	"crypto/tls"
	"encoding/base64"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// settingsKeyPairs are the key pairs whose certificates the console copies
// into base64 settings fields.
type settingsKeyPairs struct {
	certificateAuthority, metricsClientCA, autocertTrustedCA, downstreamCA *keyPairEntry
}

// compileSettings validates the settings of every cluster and emits them.
// An invalid Settings record would make Pomerium reject its whole
// databroker configuration.
func (c *compiler) compileSettings() {
	if c.st.Settings != nil {
		c.compileClusterSettings(c.st.Settings)
	}
	for _, s := range c.st.ClusterSettings {
		c.compileClusterSettings(s)
	}
}

func (c *compiler) compileClusterSettings(s *store.Settings) {
	id := s.ID
	if id == "" {
		id = store.SettingsID
	}
	kps, err := c.checkSettings(s, id)
	if err == nil {
		err = c.emitSettings(s, kps)
	}
	if err != nil {
		c.setStatus(store.KindSettings, id, err.status())
		return
	}
	c.setStatus(store.KindSettings, id, validStatus())
}

func (c *compiler) checkSettings(s *store.Settings, id string) (*settingsKeyPairs, *fieldError) {
	if err := checkSettingsSpec(s.Spec); err != nil {
		return nil, err
	}
	cluster := SettingsCluster(id)
	if cluster != store.DefaultClusterID {
		if _, err := c.placement(cluster); err != nil {
			return nil, err
		}
	}
	return c.resolveSettingsKeyPairs(s.Spec, cluster)
}

// SettingsCluster returns the cluster settings of id belong to.
func SettingsCluster(id string) string {
	if id == store.SettingsID || id == "" {
		return store.DefaultClusterID
	}
	return id
}

// CheckSettings checks what can be checked of a settings spec on its own,
// without the key pairs it refers to: every rule compilation applies to its
// fields. Writers use it to refuse settings compilation would reject anyway
// (which would leave Pomerium on the last good settings); the field of an
// invalid status is a path inside the spec ("spec.idp_provider_url").
func CheckSettings(spec *configpb.Settings) Status {
	if err := checkSettingsSpec(spec); err != nil {
		return err.status()
	}
	return validStatus()
}

func checkSettingsSpec(spec *configpb.Settings) *fieldError {
	if spec == nil {
		return fieldErrorf("spec", "is required")
	}
	for _, check := range settingsChecks {
		if err := check(spec); err != nil {
			return err
		}
	}
	return nil
}

// resolveSettingsKeyPairs checks the key pair references of the settings.
// As with routes, Pomerium v0.33.0 copies PEM into fields it then decodes as
// base64, so those references are resolved here. The SSH key references and
// autocert_ca_key_pair_id are refused: Pomerium would put a certificate where
// an SSH private key or the ACME directory URL is expected.
func (c *compiler) resolveSettingsKeyPairs(s *configpb.Settings, cluster string) (*settingsKeyPairs, *fieldError) {
	switch {
	case s.AutocertCaKeyPairId != nil:
		return nil, fieldErrorf("spec.autocert_ca_key_pair_id", "autocert_ca is the URL of an ACME directory; a key pair cannot supply it")
	case len(s.SshHostKeyPairIds) > 0:
		return nil, fieldErrorf("spec.ssh_host_key_pair_ids", "SSH host keys cannot come from key pairs: Pomerium would use the certificate as the private key")
	case s.SshUserCaKeyPairId != nil:
		return nil, fieldErrorf("spec.ssh_user_ca_key_pair_id", "the SSH user CA key cannot come from a key pair: Pomerium would use the certificate as the private key")
	}
	for i, id := range s.CertificateKeyPairIds {
		kp, err := c.keyPairRef(indexed("spec.certificate_key_pair_ids", i), id, true)
		if err == nil {
			err = c.reachable(indexed("spec.certificate_key_pair_ids", i), "key pair", kp.kp.NamespaceID, describe(kp.kp.Name, id), cluster)
		}
		if err != nil {
			return nil, err
		}
		// Pomerium reads these certificates from the KeyPair records of
		// its own databroker.
		c.settingsKeyPairs[id] = append(c.settingsKeyPairs[id], cluster)
	}
	kps := &settingsKeyPairs{}
	mtls := downstreamMTLS(s)
	for _, ref := range []struct {
		field string
		id    *string
		value *string
		dst   **keyPairEntry
	}{
		{"spec.certificate_authority_key_pair_id", s.CertificateAuthorityKeyPairId, s.CertificateAuthority, &kps.certificateAuthority},
		{"spec.metrics_client_ca_key_pair_id", s.MetricsClientCaKeyPairId, s.MetricsClientCa, &kps.metricsClientCA},
		{"spec.autocert_trusted_ca_key_pair_id", s.AutocertTrustedCaKeyPairId, s.AutocertTrustedCa, &kps.autocertTrustedCA},
		{"spec.downstream_mtls.ca_key_pair_id", mtls.CaKeyPairId, mtls.Ca, &kps.downstreamCA},
	} {
		if ref.id == nil {
			continue
		}
		if ref.value != nil {
			return nil, fieldErrorf(ref.field, "set either the key pair or the value it replaces, not both")
		}
		entry, err := c.keyPairRef(ref.field, *ref.id, false)
		if err == nil {
			err = c.reachable(ref.field, "key pair", entry.kp.NamespaceID, describe(entry.kp.Name, *ref.id), cluster)
		}
		if err != nil {
			return nil, err
		}
		*ref.dst = entry
	}
	return kps, nil
}

func (c *compiler) emitSettings(s *store.Settings, kps *settingsKeyPairs) *fieldError {
	msg := proto.CloneOf(s.Spec)
	id, ns := cmp.Or(s.ID, store.SettingsID), cmp.Or(s.NamespaceID, store.GlobalNamespaceID)
	msg.Id = new(id)
	msg.NamespaceId = new(ns)
	msg.OriginatorId = new(OriginatorID)
	msg.Name = optional(s.Name)
	msg.CreatedAt = timestamp(s.CreatedAt)
	msg.ModifiedAt = timestamp(s.ModifiedAt)
	if kp := kps.certificateAuthority; kp != nil {
		msg.CertificateAuthority, msg.CertificateAuthorityKeyPairId = new(kp.certificateBase64()), nil
	}
	if kp := kps.metricsClientCA; kp != nil {
		msg.MetricsClientCa, msg.MetricsClientCaKeyPairId = new(kp.certificateBase64()), nil
	}
	if kp := kps.autocertTrustedCA; kp != nil {
		msg.AutocertTrustedCa, msg.AutocertTrustedCaKeyPairId = new(kp.certificateBase64()), nil
	}
	if kp := kps.downstreamCA; kp != nil {
		msg.DownstreamMtls.Ca, msg.DownstreamMtls.CaKeyPairId = new(kp.certificateBase64()), nil
	}
	rec, err := newRecord(RecordTypeSettings, id, msg)
	if err != nil {
		return fieldErrorf("spec", "cannot be encoded: %v", err)
	}
	c.emit(store.KindSettings, rec)
	return nil
}

// settingsChecks mirror the cheap parts of Pomerium's Options.Validate that a
// Settings record can break.
var settingsChecks = []func(*configpb.Settings) *fieldError{
	checkSettingsServices,
	checkSettingsURLs,
	checkSettingsCertificates,
	checkSettingsAddresses,
	checkSettingsEnums,
	checkSettingsSecrets,
}

func checkSettingsServices(s *configpb.Settings) *fieldError {
	if s.Services == nil {
		return nil
	}
	var n int
	for svc := range strings.SplitSeq(*s.Services, ",") {
		switch svc = strings.ToLower(strings.TrimSpace(svc)); svc {
		case "":
			continue
		case "all", "authenticate", "authorize", "cache", "databroker", "proxy":
			n++
		default:
			return fieldErrorf("spec.services", "%q is not one of all, authenticate, authorize, databroker, proxy", svc)
		}
	}
	if n == 0 {
		return fieldErrorf("spec.services", "names no service")
	}
	return nil
}

func checkSettingsURLs(s *configpb.Settings) *fieldError {
	single := []struct {
		field string
		value *string
	}{
		{"spec.authenticate_service_url", s.AuthenticateServiceUrl},
		{"spec.authenticate_internal_service_url", s.AuthenticateInternalServiceUrl},
		{"spec.signout_redirect_url", s.SignoutRedirectUrl},
		{"spec.authorize_internal_service_url", s.AuthorizeInternalServiceUrl},
		{"spec.databroker_internal_service_url", s.DatabrokerInternalServiceUrl},
		{"spec.idp_provider_url", s.IdpProviderUrl},
	}
	for _, u := range single {
		if u.value != nil && *u.value != "" {
			if err := checkAbsoluteURL(u.field, *u.value); err != nil {
				return err
			}
		}
	}
	for _, list := range []struct {
		field  string
		values []string
	}{
		{"spec.authorize_service_urls", s.AuthorizeServiceUrls},
		{"spec.databroker_service_urls", s.DatabrokerServiceUrls},
	} {
		for i, v := range list.values {
			if err := checkAbsoluteURL(indexed(list.field, i), v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkSettingsCertificates(s *configpb.Settings) *fieldError {
	for i, cert := range s.Certificates {
		if _, err := tls.X509KeyPair(cert.CertBytes, cert.KeyBytes); err != nil {
			return fieldErrorf(indexed("spec.certificates", i), "%v", err)
		}
	}
	mtls := downstreamMTLS(s)
	for _, ca := range []struct {
		field string
		value *string
	}{
		{"spec.autocert_trusted_ca", s.AutocertTrustedCa},
		{"spec.certificate_authority", s.CertificateAuthority},
		{"spec.metrics_client_ca", s.MetricsClientCa},
		{"spec.downstream_mtls.ca", mtls.Ca},
		{"spec.downstream_mtls.crl", mtls.Crl},
	} {
		if ca.value == nil {
			continue
		}
		if _, err := base64.StdEncoding.DecodeString(*ca.value); err != nil {
			return fieldErrorf(ca.field, "is not base64: %v", err)
		}
	}
	return nil
}

// downstreamMTLS returns the downstream mTLS settings, empty when unset, so
// that their optional fields read as nil.
func downstreamMTLS(s *configpb.Settings) *configpb.DownstreamMtlsSettings {
	if m := s.GetDownstreamMtls(); m != nil {
		return m
	}
	return &configpb.DownstreamMtlsSettings{}
}

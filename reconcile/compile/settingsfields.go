package compile

import (
	"encoding/base64"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// checkSettingsAddresses is Pomerium's ValidateAddress: host:port with a
// positive numeric port.
func checkSettingsAddresses(s *configpb.Settings) *fieldError {
	for _, a := range []struct {
		field string
		value *string
	}{
		{"spec.metrics_address", s.MetricsAddress},
		{"spec.debug_address", s.DebugAddress},
	} {
		if a.value == nil || *a.value == "" {
			continue
		}
		_, port, err := net.SplitHostPort(*a.value)
		if err != nil || port == "" {
			return fieldErrorf(a.field, "%q is not host:port", *a.value)
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 {
			return fieldErrorf(a.field, "port %q is not a positive number", port)
		}
	}
	return nil
}

var (
	logLevels = []string{"", "trace", "debug", "info", "warn", "warning", "error", "critical", "fatal", "panic", "off", "none", "disabled"}
	// sameSite is compared in lower case, as Pomerium does.
	sameSite          = []string{"", "strict", "lax", "none"}
	dnsLookupFamilies = []string{"", "AUTO", "V4_ONLY", "V6_ONLY", "V4_PREFERRED", "ALL"}
	storageTypes      = []string{"memory", "file", "postgres"}
)

func checkSettingsEnums(s *configpb.Settings) *fieldError {
	for _, e := range []struct {
		field   string
		value   *string
		allowed []string
	}{
		{"spec.log_level", s.LogLevel, logLevels},
		{"spec.proxy_log_level", s.ProxyLogLevel, logLevels},
		{"spec.cookie_same_site", lower(s.CookieSameSite), sameSite},
		{"spec.dns_lookup_family", s.DnsLookupFamily, dnsLookupFamilies},
		{"spec.databroker_storage_type", s.DatabrokerStorageType, storageTypes},
	} {
		if e.value == nil || slices.Contains(e.allowed, *e.value) {
			continue
		}
		return fieldErrorf(e.field, "%q is not one of %s", *e.value, strings.Join(nonEmpty(e.allowed), ", "))
	}
	return nil
}

func checkSettingsSecrets(s *configpb.Settings) *fieldError {
	if s.SharedSecret != nil {
		secret := *s.SharedSecret
		switch _, err := base64.StdEncoding.DecodeString(secret); {
		case secret == "":
			return fieldErrorf("spec.shared_secret", "must not be empty")
		case strings.TrimSpace(secret) != secret:
			return fieldErrorf("spec.shared_secret", "must not start or end with white space")
		case err != nil:
			return fieldErrorf("spec.shared_secret", "is not base64: %v", err)
		}
	}
	if auth := s.GetMetricsBasicAuth(); auth != "" {
		decoded, err := base64.StdEncoding.DecodeString(auth)
		if err != nil || !strings.Contains(string(decoded), ":") {
			return fieldErrorf("spec.metrics_basic_auth", "must be base64 of user:password")
		}
	}
	keyID, mac := s.GetAutocertEabKeyId(), s.GetAutocertEabMacKey()
	switch {
	case keyID != "" && mac == "":
		return fieldErrorf("spec.autocert_eab_mac_key", "is required when autocert_eab_key_id is set")
	case keyID == "" && mac != "":
		return fieldErrorf("spec.autocert_eab_key_id", "is required when autocert_eab_mac_key is set")
	case mac != "":
		if _, err := base64.RawURLEncoding.DecodeString(mac); err != nil {
			return fieldErrorf("spec.autocert_eab_mac_key", "is not unpadded base64url: %v", err)
		}
	}
	return nil
}

func lower(s *string) *string {
	if s == nil {
		return nil
	}
	return new(strings.ToLower(*s))
}

func nonEmpty(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

package config

import (
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
)

// Config is the console's configuration, as Load returns it. The exported
// fields hold values that are safe to print. Values that are or may hold
// secrets are unexported and read through methods, so that reflection-based
// printers and encoders (encoding/json, zap's reflection encoder) cannot
// reach them.
type Config struct {
	// DataDir is where the embedded store lives when DatabaseURL is empty.
	// Whether it exists or is writable is for the caller to find out.
	DataDir string
	// DatabrokerServiceURL is Pomerium's databroker; empty means the
	// console runs an embedded one.
	DatabrokerServiceURL string
	// SigningKeyJWKSURL is Pomerium's JWKS, which verifies its JWT
	// assertions as signing_key does and follows its key rotations.
	SigningKeyJWKSURL string
	// Audience lists the accepted aud values of Pomerium's JWT assertion.
	Audience []string
	// Administrators names the first administrators of the Global
	// namespace: users or groups.
	Administrators []string
	// BindAddr serves the web console and the HTTP API.
	BindAddr string
	// GRPCAddr serves the gRPC API.
	GRPCAddr string
	// MetricsAddr serves Prometheus metrics; empty turns them off.
	MetricsAddr string
	// LogLevel is one of debug, info, warn and error.
	LogLevel string
	// LogFormat is one of auto, console and json.
	LogFormat string
	// DataSourcesAllowedNetworks are the networks, not public, that
	// external data sources may fetch from all the same (see
	// AllowedDataSourceNetworks).
	DataSourcesAllowedNetworks []string
	// AuthRateLimit is how many sign-in attempts and failed API
	// authentications a client address may make at once, and per minute
	// after that; 0 turns the limit off.
	AuthRateLimit int
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For names the client (see TrustedProxyNetworks).
	TrustedProxies []string

	databaseURL   string
	encryptionKey []byte
	sharedSecret  []byte
	signingKey    []byte
	tlsCA         []byte
	tlsCert       []byte
	tlsKey        []byte

	// origins says where each key that is not at its default was set.
	origins map[string]string
}

// Origin says where a key's value was set: "env BIND_ADDR", "flag
// --bind-addr", "/etc/pomerium-console/config.yaml:3", with ", content of
// FILE" for a value read from an X_file; empty for a key at its default.
func (c Config) Origin(key string) string { return c.origins[key] }

// DatabaseURL is the PostgreSQL URL of the store, with its password; empty
// means the embedded store in DataDir.
func (c Config) DatabaseURL() string { return c.databaseURL }

// EncryptionKey is the decoded database_encryption_key: 32 bytes, or nil
// when unset.
func (c Config) EncryptionKey() []byte { return slices.Clone(c.encryptionKey) }

// SharedSecret is the decoded shared_secret, or nil when unset.
func (c Config) SharedSecret() []byte { return slices.Clone(c.sharedSecret) }

// SigningKey is the PEM of signing_key, or nil when unset.
func (c Config) SigningKey() []byte { return slices.Clone(c.signingKey) }

// RootCAs verifies the servers the console calls over TLS: an https://
// databroker_service_url and signing_key_jwks_url. It holds the system roots
// and the certificates of tls_ca; it is nil, which means the system roots
// alone, when tls_ca is unset. tls_ca adds to the system roots instead of
// replacing them: a private CA named for the databroker must not stop a
// publicly trusted JWKS host from verifying.
func (c Config) RootCAs() (*x509.CertPool, error) {
	if len(c.tlsCA) == 0 {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("tls_ca: load system roots: %w", err)
	}
	// Load has checked that tls_ca holds certificates.
	pool.AppendCertsFromPEM(c.tlsCA)
	return pool, nil
}

// AllowedDataSourceNetworks are external_data_sources_allowed_networks,
// parsed: the networks that are not public (loopback, link-local, private
// use) which external data sources may fetch from all the same.
func (c Config) AllowedDataSourceNetworks() []netip.Prefix {
	return networks(c.DataSourcesAllowedNetworks)
}

// TrustedProxyNetworks are trusted_proxies, parsed: the reverse proxies
// (Pomerium, a load balancer) in front of the console whose
// X-Forwarded-For header names the client that the authentication rate
// limit counts. Empty, every connection's peer is the client.
func (c Config) TrustedProxyNetworks() []netip.Prefix { return networks(c.TrustedProxies) }

// networks parses a list of networks that Load has checked.
func networks(items []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(items))
	for _, s := range items {
		if p, err := parseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TLSCert is the PEM of tls_cert, or nil when unset. Load has checked that
// it pairs with TLSKey.
func (c Config) TLSCert() []byte { return slices.Clone(c.tlsCert) }

// TLSKey is the PEM of tls_key, or nil when unset.
func (c Config) TLSKey() []byte { return slices.Clone(c.tlsKey) }

const redacted = "[redacted]"

// entry is one key of a Config in redacted form.
type entry struct{ key, value string }

// entries lists every key that Load keeps, in the order of the key table,
// with secrets replaced.
func (c Config) entries() []entry {
	out := make([]entry, 0, len(keys))
	for _, k := range keys {
		if _, ok := k.value.(ignored); ok {
			continue
		}
		v := k.value.show(&c)
		if k.secret && v != "" {
			v = redacted
		}
		out = append(out, entry{k.name, v})
	}
	return out
}

// String prints every key as key="value", with secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	for i, e := range c.entries() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", e.key, e.value)
	}
	return b.String()
}

// Format makes every fmt verb print String, so that %#v and %+v, which
// would otherwise print unexported fields, redact too.
func (c Config) Format(f fmt.State, _ rune) {
	// A formatter has nowhere to report a write error; fmt ignores it too.
	_, _ = io.WriteString(f, c.String())
}

// LogValue gives log/slog the redacted form.
func (c Config) LogValue() slog.Value {
	entries := c.entries()
	attrs := make([]slog.Attr, 0, len(entries))
	for _, e := range entries {
		attrs = append(attrs, slog.String(e.key, e.value))
	}
	return slog.GroupValue(attrs...)
}

// MarshalLog gives logr (through zapr) the redacted form; it is logr's
// Marshaler interface, matched by method so this package needs no logr.
func (c Config) MarshalLog() any {
	m := make(map[string]string)
	for _, e := range c.entries() {
		m[e.key] = e.value
	}
	return m
}

// KeyError is a problem with the value of one key.
type KeyError struct {
	// Key is the key as it was set, e.g. shared_secret_file.
	Key string
	// Origin is where the value was set: "env BIND_ADDR", "flag
	// --bind-addr", "/etc/pomerium-console/config.yaml:3"; empty for a
	// default.
	Origin string
	Err    error
}

func (e *KeyError) Error() string {
	if e.Origin == "" {
		return e.Key + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s (%s): %v", e.Key, e.Origin, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

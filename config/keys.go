package config

import (
	"strconv"
	"strings"
)

// key is one configuration key. The table below is the only place a key is
// defined: the file, environment and flag forms, the defaults, validation
// and the redacted forms of a Config are all derived from it.
type key struct {
	name string
	help string
	// def is the default, in the form an environment variable would take.
	def string
	// secret keys are shown as "[redacted]" when set.
	secret bool
	// withFile adds the companion key name+"_file", which names a file
	// holding the value; secrets kept in files stay out of process listings
	// and of the config file itself.
	withFile bool
	value    binding
}

func (k key) fileName() string { return k.name + "_file" }

// names returns the key's name and, when it has one, its _file companion.
func (k key) names() []string {
	if k.withFile {
		return []string{k.name, k.fileName()}
	}
	return []string{k.name}
}

// envName is the environment variable that sets the key called name.
func envName(name string) string { return strings.ToUpper(name) }

// flagName is the flag that sets the key called name.
func flagName(name string) string { return strings.ReplaceAll(name, "_", "-") }

// Defaults of the keys that have one.
const (
	DefaultBindAddr  = ":8701"
	DefaultGRPCAddr  = ":8702"
	DefaultDataDir   = "/var/lib/pomerium-console"
	DefaultLogLevel  = "info"
	DefaultLogFormat = LogFormatAuto
	// DefaultAuthRateLimit lets a person mistype a token a few times and
	// a client retry, while guessing stays at ten tries a minute.
	DefaultAuthRateLimit = 10
)

// The values of log_format.
const (
	// LogFormatAuto writes console lines when standard error is a terminal
	// and JSON otherwise: a person at a terminal reads the log, journald and
	// container runtimes collect it.
	LogFormatAuto    = "auto"
	LogFormatConsole = "console"
	LogFormatJSON    = "json"
)

// Lengths, after base64 decoding, of the keys that are byte strings.
const (
	// EncryptionKeySize is what AES-256 needs.
	EncryptionKeySize = 32
	// MinSharedSecretSize matches what Pomerium asks of its shared_secret.
	MinSharedSecretSize = 32
)

// logLevels are the accepted values of log_level, most verbose first.
var logLevels = []string{"debug", "info", "warn", "error"}

// logFormats are the accepted values of log_format.
var logFormats = []string{LogFormatAuto, LogFormatConsole, LogFormatJSON}

var keys = []key{
	{
		name:  "database_url",
		help:  "PostgreSQL URL (postgres:// or postgresql://) of the store; empty keeps the store in a single file under data_dir",
		value: text(checkURL(false, "postgres", "postgresql"), redactURL, func(c *Config) *string { return &c.databaseURL }),
	},
	{
		name:     "database_encryption_key",
		help:     "base64 of 32 random bytes; encrypts secrets held in the store",
		secret:   true,
		withFile: true,
		value:    decoded(decodeExact(EncryptionKeySize), func(c *Config) *[]byte { return &c.encryptionKey }),
	},
	{
		name:  "data_dir",
		help:  "directory of the embedded store, used when database_url is empty",
		def:   DefaultDataDir,
		value: text(nil, nil, func(c *Config) *string { return &c.DataDir }),
	},
	{
		name:  "databroker_service_url",
		help:  "http:// or https:// URL of Pomerium's databroker; empty runs an embedded databroker",
		value: text(checkURL(true, "http", "https"), redactURL, func(c *Config) *string { return &c.DatabrokerServiceURL }),
	},
	{
		name:     "shared_secret",
		help:     "base64 of at least 32 bytes; Pomerium's shared_secret, which authenticates calls to the databroker, and the bootstrap token of Pomerium's Terraform provider as a Global admin",
		secret:   true,
		withFile: true,
		value:    decoded(decodeAtLeast(MinSharedSecretSize), func(c *Config) *[]byte { return &c.sharedSecret }),
	},
	{
		name:     "signing_key",
		help:     "PEM or base64 PEM of the key that verifies the JWT assertions Pomerium sends",
		secret:   true,
		withFile: true,
		value:    decoded(decodePEM, func(c *Config) *[]byte { return &c.signingKey }),
	},
	{
		name:  "signing_key_jwks_url",
		help:  "https:// URL of Pomerium's JWKS (https://AUTHENTICATE_HOST/.well-known/pomerium/jwks.json), which verifies the JWT assertions Pomerium sends and follows its key rotations; http:// only for a loopback host",
		value: text(checkHTTPSURL, nil, func(c *Config) *string { return &c.SigningKeyJWKSURL }),
	},
	{
		name:  "audience",
		help:  "accepted aud values of Pomerium's JWT assertion (comma-separated in env and flags)",
		value: list(func(c *Config) *[]string { return &c.Audience }),
	},
	{
		name:  "administrators",
		help:  "users or groups made administrators of the Global namespace (comma-separated in env and flags)",
		value: list(func(c *Config) *[]string { return &c.Administrators }),
	},
	{
		name:  "bind_addr",
		help:  "host:port of the web console and HTTP API",
		def:   DefaultBindAddr,
		value: text(checkAddr(false), nil, func(c *Config) *string { return &c.BindAddr }),
	},
	{
		name:  "grpc_addr",
		help:  "host:port of the gRPC API",
		def:   DefaultGRPCAddr,
		value: text(checkAddr(false), nil, func(c *Config) *string { return &c.GRPCAddr }),
	},
	{
		name:  "metrics_addr",
		help:  "host:port of the Prometheus metrics endpoint; empty turns it off",
		value: text(checkAddr(true), nil, func(c *Config) *string { return &c.MetricsAddr }),
	},
	{
		name: "external_data_sources_allowed_networks",
		help: "IP networks (CIDR, or single addresses; comma-separated in env and flags) that external data sources may fetch from although they are " +
			"loopback, link-local (cloud metadata), private or otherwise not public, which they are refused by default",
		value: checkedList(checkNetwork, func(c *Config) *[]string { return &c.DataSourcesAllowedNetworks }),
	},
	{
		name: "auth_rate_limit",
		help: "sign-in attempts and API calls whose credentials fail that one client address may make at once, and per minute after that " +
			"(further ones are refused with 429 or ResourceExhausted until one is allowed again); 0 turns the limit off",
		def:   strconv.Itoa(DefaultAuthRateLimit),
		value: number(0, func(c *Config) *int { return &c.AuthRateLimit }),
	},
	{
		name: "trusted_proxies",
		help: "IP networks (CIDR, or single addresses; comma-separated in env and flags) of reverse proxies, such as Pomerium, whose X-Forwarded-For " +
			"header names the client that auth_rate_limit counts; without them every connection's peer is the client",
		value: checkedList(checkNetwork, func(c *Config) *[]string { return &c.TrustedProxies }),
	},
	{
		name:     "tls_ca",
		help:     "PEM or base64 PEM of CA certificates trusted, besides the system roots, for an https:// databroker_service_url and signing_key_jwks_url",
		withFile: true,
		value:    decoded(decodeCertificates, func(c *Config) *[]byte { return &c.tlsCA }),
	},
	{
		name:     "tls_cert",
		help:     "PEM or base64 PEM of the console's TLS certificate; requires tls_key",
		withFile: true,
		value:    decoded(decodePEM, func(c *Config) *[]byte { return &c.tlsCert }),
	},
	{
		name:     "tls_key",
		help:     "PEM or base64 PEM of the console's TLS private key; requires tls_cert",
		secret:   true,
		withFile: true,
		value:    decoded(decodePEM, func(c *Config) *[]byte { return &c.tlsKey }),
	},
	{
		name:   "license_key",
		help:   "accepted for compatibility with the Enterprise Console and ignored",
		secret: true,
		value:  ignored{},
	},
	{
		name:  "log_level",
		help:  "one of " + strings.Join(logLevels, ", "),
		def:   DefaultLogLevel,
		value: text(checkOneOf(logLevels), nil, func(c *Config) *string { return &c.LogLevel }),
	},
	{
		name:  "log_format",
		help:  "auto (console when standard error is a terminal, json otherwise), console (readable lines) or json (one object a line)",
		def:   DefaultLogFormat,
		value: text(checkOneOf(logFormats), nil, func(c *Config) *string { return &c.LogFormat }),
	},
}

// keysByName maps every name a source may use, _file companions included,
// to its key.
var keysByName = func() map[string]key {
	m := make(map[string]key)
	for _, k := range keys {
		for _, n := range k.names() {
			m[n] = k
		}
	}
	return m
}()

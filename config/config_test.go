package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"
)

var (
	key32       = []byte("0123456789abcdef0123456789abcdef")
	key32B64    = b64(string(key32))
	secret41    = []byte("shared-secret-shared-secret-shared-secret")
	secret41B64 = b64(string(secret41))
	pems        = newTestPEMs()
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// testPEMs are generated rather than kept in testdata, so that no private
// key is committed for scanners to flag.
type testPEMs struct{ cert, key, otherKey, publicKey string }

func newTestPEMs() testPEMs {
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	other := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "console.test"},
		NotBefore:             time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	encode := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return testPEMs{
		cert:      encode("CERTIFICATE", must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key))),
		key:       encode("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(key))),
		otherKey:  encode("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(other))),
		publicKey: encode("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&other.PublicKey))),
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// input is what one Load sees. "$DIR" in any string is replaced by the
// directory where config.yaml and files are written.
type input struct {
	yaml        string            // content of config.yaml
	path        string            // a config file to read instead of yaml
	noFile      bool              // write no config.yaml
	defaultPath bool              // load as if the path were the default one
	files       map[string]string // more files in the directory
	env         map[string]string
	args        []string
}

func (in input) load(t *testing.T, dir string) (*Config, error) {
	t.Helper()
	expand := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(expand(content)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range in.files {
		write(name, content)
	}
	path := in.path
	if path == "" {
		path = filepath.Join(dir, "config.yaml")
		if !in.noFile {
			write("config.yaml", in.yaml)
		}
	}
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(flags)
	args := make([]string, len(in.args))
	for i, a := range in.args {
		args[i] = expand(a)
	}
	if err := flags.Parse(args); err != nil {
		t.Fatalf("parse flags: %v", err)
	}
	lookup := func(name string) (string, bool) {
		v, ok := in.env[name]
		return expand(v), ok
	}
	return Load(path, !in.defaultPath, flags, lookup)
}

func defaults() Config {
	return Config{DataDir: DefaultDataDir, BindAddr: DefaultBindAddr, GRPCAddr: DefaultGRPCAddr, LogLevel: DefaultLogLevel, LogFormat: DefaultLogFormat,
		AuthRateLimit: DefaultAuthRateLimit}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   input
		want func(*Config)
	}{
		{"defaults from an empty file", input{}, func(*Config) {}},
		{"missing file at the default path", input{noFile: true, defaultPath: true}, func(*Config) {}},
		{"file only", input{path: "testdata/full.yaml"}, func(c *Config) {
			c.databaseURL = "postgresql://console:hunter2@db.internal:5432/console?sslmode=require"
			c.encryptionKey = key32
			c.DataDir = "/srv/console"
			c.DatabrokerServiceURL = "https://databroker.internal:5443"
			c.sharedSecret = secret41
			c.SigningKeyJWKSURL = "https://authenticate.example.com/.well-known/pomerium/jwks.json"
			c.Audience = []string{"console.example.com", "console.internal"}
			c.Administrators = []string{"admin@example.com", "ops"}
			c.BindAddr, c.GRPCAddr, c.MetricsAddr = "127.0.0.1:8001", "[::1]:8002", ":9701"
			c.DataSourcesAllowedNetworks = []string{"10.20.0.0/16", "127.0.0.1"}
			c.LogLevel = "debug"
		}},
		{"env over file", input{
			yaml: "bind_addr: :1000\nlog_level: debug\n",
			env:  map[string]string{"BIND_ADDR": ":2000", "GRPC_ADDR": ":2001"},
		}, func(c *Config) { c.BindAddr, c.GRPCAddr, c.LogLevel = ":2000", ":2001", "debug" }},
		{"flag over env", input{
			yaml: "bind_addr: :1000\n",
			env:  map[string]string{"BIND_ADDR": ":2000", "GRPC_ADDR": ":2001"},
			args: []string{"--bind-addr=:3000"},
		}, func(c *Config) { c.BindAddr, c.GRPCAddr = ":3000", ":2001" }},
		{"empty env is unset", input{
			yaml: "log_level: warn\n",
			env:  map[string]string{"LOG_LEVEL": "", "BIND_ADDR": "  "},
		}, func(c *Config) { c.LogLevel = "warn" }},
		{"null in file is unset", input{yaml: "metrics_addr:\nlog_level: ~\n"}, func(*Config) {}},
		{"log format from env over file", input{
			yaml: "log_format: console\n",
			env:  map[string]string{"LOG_FORMAT": "json"},
		}, func(c *Config) { c.LogFormat = LogFormatJSON }},
		{"empty flag overrides file", input{yaml: "metrics_addr: :9000\n", args: []string{"--metrics-addr="}}, func(*Config) {}},
		{"lists from env", input{
			env: map[string]string{"AUDIENCE": "a.example.com, b.example.com,", "ADMINISTRATORS": "admin"},
		}, func(c *Config) {
			c.Audience, c.Administrators = []string{"a.example.com", "b.example.com"}, []string{"admin"}
		}},
		{"lists from flags", input{
			yaml: "audience: [file.example.com]\n",
			args: []string{"--audience", "a,b", "--audience=c", "--administrators", "admin"},
		}, func(c *Config) { c.Audience, c.Administrators = []string{"a", "b", "c"}, []string{"admin"} }},
		{"list from a yaml string", input{yaml: "audience: a, b\n"}, func(c *Config) { c.Audience = []string{"a", "b"} }},
		{"rate limit off behind trusted proxies", input{
			yaml: "auth_rate_limit: 0\n", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,fd00::1"},
		}, func(c *Config) { c.AuthRateLimit, c.TrustedProxies = 0, []string{"10.0.0.0/8", "fd00::1"} }},
		{"_file keys read and trim their files", input{
			files: map[string]string{
				"enc": key32B64 + "\n", "shared": "\n" + secret41B64 + "\n", "sign": pems.publicKey,
				"ca.pem": pems.cert, "cert.pem": pems.cert, "key.pem": pems.key,
			},
			yaml: "database_encryption_key_file: $DIR/enc\ntls_ca_file: $DIR/ca.pem\n",
			env:  map[string]string{"SHARED_SECRET_FILE": "$DIR/shared", "SIGNING_KEY_FILE": "$DIR/sign"},
			args: []string{"--tls-cert-file=$DIR/cert.pem", "--tls-key-file", "$DIR/key.pem"},
		}, func(c *Config) {
			c.encryptionKey, c.sharedSecret = key32, secret41
			c.signingKey = []byte(strings.TrimSpace(pems.publicKey))
			c.tlsCA, c.tlsCert = []byte(strings.TrimSpace(pems.cert)), []byte(strings.TrimSpace(pems.cert))
			c.tlsKey = []byte(strings.TrimSpace(pems.key))
		}},
		{"inline PEM and base64 PEM", input{
			yaml: "tls_cert: " + b64(pems.cert) + "\ntls_key: |\n  " + strings.ReplaceAll(pems.key, "\n", "\n  ") +
				"\nsigning_key: " + b64(pems.publicKey) + "\n",
		}, func(c *Config) {
			c.tlsCert, c.tlsKey = []byte(pems.cert), []byte(strings.TrimSpace(pems.key))
			c.signingKey = []byte(pems.publicKey)
		}},
		{"the first source to set X or X_file decides", input{
			yaml:  "shared_secret_file: $DIR/never-read\ndatabase_encryption_key: " + b64("too short") + "\n",
			env:   map[string]string{"SHARED_SECRET": secret41B64},
			args:  []string{"--database-encryption-key-file=$DIR/enc"},
			files: map[string]string{"enc": key32B64},
		}, func(c *Config) { c.sharedSecret, c.encryptionKey = secret41, key32 }},
		{"signing_key_jwks_url over http on loopback", input{
			env: map[string]string{"SIGNING_KEY_JWKS_URL": "http://127.0.0.1:8443/.well-known/pomerium/jwks.json"},
		}, func(c *Config) { c.SigningKeyJWKSURL = "http://127.0.0.1:8443/.well-known/pomerium/jwks.json" }},
		{"signing_key_jwks_url over http on localhost and ::1", input{
			yaml: "signing_key_jwks_url: http://[::1]/jwks.json\n",
			args: []string{"--signing-key-jwks-url=http://LocalHost:5443/jwks.json"},
		}, func(c *Config) { c.SigningKeyJWKSURL = "http://LocalHost:5443/jwks.json" }},
		{"empty X_file is unset", input{yaml: "shared_secret_file: \"\"\n"}, func(*Config) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.in.load(t, t.TempDir())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			tc.want(&want)
			if diff := cmp.Diff(&want, got, cmp.AllowUnexported(Config{}), cmpopts.IgnoreFields(Config{}, "origins"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   input
		want []string // each must be in the error
	}{
		{"missing explicit file", input{noFile: true}, []string{"read config file: open $DIR/config.yaml"}},
		{"yaml syntax", input{yaml: "bind_addr: [\n"}, []string{"parse config file $DIR/config.yaml: yaml: "}},
		{"not a mapping", input{yaml: "- bind_addr\n"}, []string{"config ($DIR/config.yaml:1): want a mapping"}},
		{"unknown key", input{yaml: "bind_addr: :1\ndatabse_url: x\n"},
			[]string{"databse_url ($DIR/config.yaml:2): unknown key"}},
		{"duplicate key", input{yaml: "log_level: info\nlog_level: debug\n"},
			[]string{"log_level ($DIR/config.yaml:2): already set on line 1"}},
		{"database_url scheme", input{env: map[string]string{"DATABASE_URL": "mysql://db/console"}},
			[]string{`database_url (env DATABASE_URL): scheme is "mysql", want postgres or postgresql`}},
		{"database_url that does not parse", input{yaml: "database_url: postgres://console:hunter2%zz@db/console\n"},
			[]string{"database_url ($DIR/config.yaml:1): not a valid URL: invalid percent-encoding"}},
		{"databroker_service_url scheme", input{yaml: "databroker_service_url: grpc://db:5443\nshared_secret: " + secret41B64},
			[]string{`databroker_service_url ($DIR/config.yaml:1): scheme is "grpc", want http or https`}},
		{"databroker_service_url without host", input{yaml: "databroker_service_url: https:///x\nshared_secret: " + secret41B64},
			[]string{"databroker_service_url ($DIR/config.yaml:1): URL has no host"}},
		{"signing_key_jwks_url over http to another host", input{yaml: "signing_key_jwks_url: http://authenticate.example.com/jwks.json"},
			[]string{`signing_key_jwks_url ($DIR/config.yaml:1): http is allowed only for a loopback host (localhost, 127.0.0.1, ::1), not "authenticate.example.com": use https`}},
		{"signing_key_jwks_url scheme", input{env: map[string]string{"SIGNING_KEY_JWKS_URL": "ftp://authenticate.example.com/jwks.json"}},
			[]string{`signing_key_jwks_url (env SIGNING_KEY_JWKS_URL): scheme is "ftp", want https`}},
		{"signing_key_jwks_url without host", input{args: []string{"--signing-key-jwks-url=https:///jwks.json"}},
			[]string{"signing_key_jwks_url (flag --signing-key-jwks-url): URL has no host"}},
		{"signing_key_jwks_url relative", input{yaml: "signing_key_jwks_url: /.well-known/pomerium/jwks.json"},
			[]string{"signing_key_jwks_url ($DIR/config.yaml:1): URL has no host"}},
		{"signing_key_jwks_url with a password", input{yaml: "signing_key_jwks_url: https://jwks:hunter2@authenticate.example.com/jwks.json"},
			[]string{"signing_key_jwks_url ($DIR/config.yaml:1): URL holds a user name or password; it must not"}},
		{"signing_key_jwks_url that does not parse", input{yaml: "signing_key_jwks_url: https://jwks:hunter2%zz@authenticate.example.com/"},
			[]string{"signing_key_jwks_url ($DIR/config.yaml:1): not a valid URL: invalid percent-encoding"}},
		{"encryption key length", input{yaml: "database_encryption_key: " + b64("sixteen bytes!!!")},
			[]string{"database_encryption_key ($DIR/config.yaml:1): decodes to 16 bytes, want 32"}},
		{"encryption key not base64", input{args: []string{"--database-encryption-key=hunter2!"}},
			[]string{"database_encryption_key (flag --database-encryption-key): not valid base64"}},
		{"shared_secret short", input{env: map[string]string{"SHARED_SECRET": b64("hunter2")}},
			[]string{"shared_secret (env SHARED_SECRET): decodes to 7 bytes, want at least 32"}},
		{"signing_key neither PEM nor base64", input{yaml: "signing_key: hunter2!"},
			[]string{"signing_key ($DIR/config.yaml:1): neither PEM nor base64 of PEM"}},
		{"signing_key base64 of no PEM", input{yaml: "signing_key: " + b64("hunter2")},
			[]string{"signing_key ($DIR/config.yaml:1): holds no PEM block"}},
		{"tls_ca without certificates", input{yaml: "tls_ca: " + b64(pems.publicKey)},
			[]string{"tls_ca ($DIR/config.yaml:1): holds no valid certificate"}},
		{"bind_addr without port", input{env: map[string]string{"BIND_ADDR": "localhost"}},
			[]string{"bind_addr (env BIND_ADDR): want host:port: address localhost: missing port"}},
		{"bind_addr empty", input{args: []string{"--bind-addr="}}, []string{"bind_addr (flag --bind-addr): is empty"}},
		{"grpc_addr port out of range", input{args: []string{"--grpc-addr=:70000"}},
			[]string{`grpc_addr (flag --grpc-addr): port "70000" is not a number from 0 to 65535`}},
		{"metrics_addr port not a number", input{yaml: "metrics_addr: localhost:http"},
			[]string{`metrics_addr ($DIR/config.yaml:1): port "http" is not a number`}},
		{"external_data_sources_allowed_networks", input{env: map[string]string{"EXTERNAL_DATA_SOURCES_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}},
			[]string{`external_data_sources_allowed_networks (env EXTERNAL_DATA_SOURCES_ALLOWED_NETWORKS): "intranet" is neither an IP network (CIDR, such as 10.0.0.0/8) nor an IP address`}},
		{"auth_rate_limit not a number", input{env: map[string]string{"AUTH_RATE_LIMIT": "ten"}},
			[]string{`auth_rate_limit (env AUTH_RATE_LIMIT): "ten" is not a whole number`}},
		{"auth_rate_limit negative", input{args: []string{"--auth-rate-limit=-1"}},
			[]string{`auth_rate_limit (flag --auth-rate-limit): -1 is less than 0`}},
		{"trusted_proxies", input{yaml: "trusted_proxies: [pomerium]"},
			[]string{`trusted_proxies ($DIR/config.yaml:1): "pomerium" is neither an IP network (CIDR, such as 10.0.0.0/8) nor an IP address`}},
		{"log_level", input{yaml: "log_level: verbose"},
			[]string{`log_level ($DIR/config.yaml:1): "verbose" is not one of debug, info, warn, error`}},
		{"log_format", input{args: []string{"--log-format=text"}},
			[]string{`log_format (flag --log-format): "text" is not one of auto, console, json`}},
		{"list given a mapping", input{yaml: "audience: {a: b}"}, []string{"audience ($DIR/config.yaml:1): want a value, got a mapping"}},
		{"value given a list", input{yaml: "bind_addr: [':1']"}, []string{"bind_addr ($DIR/config.yaml:1): want a single value, got a list"}},
		{"list of lists", input{yaml: "audience:\n  - a\n  - [b]\n"},
			[]string{"audience ($DIR/config.yaml:1): list item on line 3 is not a string"}},
		{"X and X_file in the file", input{yaml: "shared_secret: " + secret41B64 + "\nshared_secret_file: /s\n"},
			[]string{"shared_secret ($DIR/config.yaml:1): shared_secret_file is set too ($DIR/config.yaml:2): set only one"}},
		{"X and X_file in the environment", input{env: map[string]string{"TLS_KEY": pems.key, "TLS_KEY_FILE": "/k"}},
			[]string{"tls_key (env TLS_KEY): tls_key_file is set too (env TLS_KEY_FILE)"}},
		{"unreadable X_file", input{env: map[string]string{"SHARED_SECRET_FILE": "$DIR/missing"}},
			[]string{"shared_secret_file (env SHARED_SECRET_FILE): open $DIR/missing: no such file or directory"}},
		{"bad content of X_file", input{
			files: map[string]string{"enc": b64("hunter2")},
			args:  []string{"--database-encryption-key-file=$DIR/enc"},
		}, []string{"database_encryption_key_file (flag --database-encryption-key-file, content of $DIR/enc): decodes to 7 bytes, want 32"}},
		{"tls_cert without tls_key", input{yaml: "tls_cert: " + b64(pems.cert)},
			[]string{"tls_cert ($DIR/config.yaml:1): tls_cert and tls_key must be set together: tls_key is not set"}},
		{"tls_key without tls_cert", input{yaml: "tls_key: " + b64(pems.key)},
			[]string{"tls_key ($DIR/config.yaml:1): tls_cert and tls_key must be set together: tls_cert is not set"}},
		{"tls_cert and tls_key that do not pair", input{yaml: "tls_cert: " + b64(pems.cert) + "\ntls_key: " + b64(pems.otherKey)},
			[]string{"tls_key ($DIR/config.yaml:2): tls_cert and tls_key: tls: private key does not match public key"}},
		{"databroker without shared_secret", input{yaml: "databroker_service_url: http://databroker:5443"},
			[]string{"shared_secret: required when databroker_service_url is set ($DIR/config.yaml:1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			got, err := tc.in.load(t, dir)
			if err == nil {
				t.Fatalf("Load = %v, want an error", got)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "$DIR", dir); !strings.Contains(msg, w) {
					t.Errorf("error is\n%s\nwant it to contain\n%s", msg, w)
				}
			}
			assertNoSecrets(t, msg)
		})
	}
}

// secrets are the secret values the tests use; no error or printed form of
// a Config may contain them.
var secrets = []string{
	"hunter2", key32B64, string(key32), secret41B64, string(secret41), "license-key-value",
	strings.Split(pems.key, "\n")[1], strings.Split(pems.otherKey, "\n")[1],
	b64(pems.key)[30:60], b64(pems.otherKey)[30:60],
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Errorf("%q shows secret %q", s, secret)
		}
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	in := input{
		yaml: "bind_addr: nowhere\ncolour: blue\ndatabase_encryption_key: " + b64("short") + "\n",
		env:  map[string]string{"LOG_LEVEL": "loud", "SHARED_SECRET_FILE": "$DIR/missing"},
		args: []string{"--tls-cert=" + b64(pems.cert)},
	}
	_, err := in.load(t, t.TempDir())
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Load error %v is not a joined error", err)
	}
	var got []string
	for _, e := range joined.Unwrap() {
		got = append(got, strings.SplitN(e.Error(), " ", 2)[0])
	}
	want := []string{"colour", "database_encryption_key", "shared_secret_file", "bind_addr", "log_level", "tls_cert"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys named by the errors (-want +got):\n%s\nerror:\n%v", diff, err)
	}
}

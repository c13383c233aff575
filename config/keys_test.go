package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"
)

func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	in := input{path: "testdata/full.yaml", env: map[string]string{
		"TLS_CERT": b64(pems.cert), "TLS_KEY": b64(pems.key), "SIGNING_KEY": pems.publicKey,
	}}
	c, err := in.load(t, t.TempDir())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	const want = `database_url="postgresql://console:xxxxx@db.internal:5432/console?sslmode=require" ` +
		`database_encryption_key="[redacted]" data_dir="/srv/console" ` +
		`databroker_service_url="https://databroker.internal:5443" shared_secret="[redacted]" ` +
		`signing_key="[redacted]" ` +
		`signing_key_jwks_url="https://authenticate.example.com/.well-known/pomerium/jwks.json" audience="console.example.com,console.internal" ` +
		`administrators="admin@example.com,ops" bind_addr="127.0.0.1:8001" grpc_addr="[::1]:8002" ` +
		`metrics_addr=":9701" external_data_sources_allowed_networks="10.20.0.0/16,127.0.0.1" auth_rate_limit="10" trusted_proxies="" tls_ca="" tls_cert="[set]" tls_key="[redacted]" log_level="debug" log_format="auto"`
	if diff := cmp.Diff(want, c.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "config", c)
	encoded, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%+v of the value": fmt.Sprintf("%+v", *c), "%d": fmt.Sprintf("%d", c),
		"MarshalLog": fmt.Sprint(c.MarshalLog()), "slog": logged.String(), "json": string(encoded),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assertNoSecrets(t, out)
		})
	}
}

func TestExampleCoversEveryKey(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name := range keysByName {
		if !regexp.MustCompile(`(?m)^# ` + name + `:`).Match(example) {
			t.Errorf("example.yaml has no commented %q line", name+":")
		}
	}
	c, err := Load("example.yaml", true, nil, nil)
	if err != nil {
		t.Fatalf("Load(example.yaml): %v", err)
	}
	if diff := cmp.Diff(defaults(), *c, cmp.AllowUnexported(Config{}), cmpopts.IgnoreFields(Config{}, "origins"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("example.yaml sets values (-defaults +got):\n%s", diff)
	}
}

func TestEveryKeyHasAFlagAndAnEnvVar(t *testing.T) {
	t.Parallel()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(flags)
	var asked []string
	lookup := func(name string) (string, bool) {
		asked = append(asked, name)
		return "", false
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), false, flags, lookup); err != nil {
		t.Fatalf("Load: %v", err)
	}
	for name, k := range keysByName {
		f := flags.Lookup(flagName(name))
		switch {
		case f == nil:
			t.Errorf("no flag for %s", name)
		case name == k.name && !k.value.list() && f.DefValue != k.def:
			t.Errorf("flag --%s defaults to %q, want %q", f.Name, f.DefValue, k.def)
		}
		if !slices.Contains(asked, envName(name)) {
			t.Errorf("Load did not look up %s", envName(name))
		}
	}
}

func TestPathFromFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		register     bool
		args         []string
		wantPath     string
		wantExplicit bool
	}{
		{"flag not registered", false, nil, DefaultPath, false},
		{"flag not set", true, nil, DefaultPath, false},
		{"flag set", true, []string{"--config", "/srv/console.yaml"}, "/srv/console.yaml", true},
		{"flag set to the default", true, []string{"--config=" + DefaultPath}, DefaultPath, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
			if tc.register {
				RegisterFlags(flags)
			}
			if err := flags.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			path, explicit := PathFromFlags(flags)
			if path != tc.wantPath || explicit != tc.wantExplicit {
				t.Errorf("PathFromFlags = %q, %v; want %q, %v", path, explicit, tc.wantPath, tc.wantExplicit)
			}
		})
	}
}

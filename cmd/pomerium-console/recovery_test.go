package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// recoveryEnv is a data directory with an embedded store holding the
// namespace Global/Production, and a config file that names it.
type recoveryEnv struct {
	dir, config, production string
}

func newRecoveryEnv(t *testing.T) recoveryEnv {
	t.Helper()
	dir := t.TempDir()
	e := recoveryEnv{dir: dir, config: filepath.Join(dir, "config.yaml")}
	if err := os.WriteFile(e.config, []byte("data_dir: "+dir+"\nlog_level: error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := e.open(t)
	ns, err := store.Put(t.Context(), st, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.Namespace{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Production"},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.production = ns.ID
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e recoveryEnv) open(t *testing.T) store.Store {
	t.Helper()
	st, err := backend.Open(t.Context(), backend.Options{DataDir: e.dir, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// run runs generate-recovery-token in-process. The empty store flags keep
// a DATABASE_URL or DATABASE_ENCRYPTION_KEY of the environment out.
func (e recoveryEnv) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var stdout bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"generate-recovery-token", "--config", e.config,
		"--database-url=", "--database-encryption-key="}, args...))
	err := root.ExecuteContext(t.Context())
	return stdout.String(), err
}

// verify authenticates token against the store, as the console would.
func (e recoveryEnv) verify(t *testing.T, token string) *auth.Principal {
	t.Helper()
	st := e.open(t)
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	a, err := auth.New(t.Context(), auth.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Authenticate(t.Context(), http.Header{auth.AuthorizationHeader: {"Pomerium " + token}})
	if err != nil {
		t.Fatalf("Authenticate the printed token: %v", err)
	}
	return p
}

func TestGenerateRecoveryToken(t *testing.T) {
	t.Parallel()
	e := newRecoveryEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		ns   string
		ttl  time.Duration
	}{
		{"defaults: Global for an hour", nil, store.GlobalNamespaceID, time.Hour},
		{"by path", []string{"--namespace", "Global/Production", "--ttl", "24h"}, e.production, 24 * time.Hour},
		{"by id", []string{"--namespace", e.production, "--ttl=90m"}, e.production, 90 * time.Minute},
	} {
		before := time.Now()
		out, err := e.run(t, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		p := e.verify(t, lines[len(lines)-1])
		if p.Kind != auth.KindRecovery || p.RecoveryNamespaceID != tc.ns || p.Subject != "recovery:"+tc.ns {
			t.Errorf("%s: principal %+v, want recovery of namespace %s", tc.name, p, tc.ns)
		}
		if lo, hi := before.Add(tc.ttl).Add(-time.Second), time.Now().Add(tc.ttl); p.ExpiresAt.Before(lo) || p.ExpiresAt.After(hi) {
			t.Errorf("%s: token expires at %s, want %s from now", tc.name, p.ExpiresAt, tc.ttl)
		}
	}
}

func TestGenerateRecoveryTokenToAFile(t *testing.T) {
	t.Parallel()
	e := newRecoveryEnv(t)
	path := filepath.Join(t.TempDir(), "token")
	// An existing file readable by others is narrowed, not reused as it is.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := e.run(t, "--out", path)
	if err != nil {
		t.Fatal(err)
	}
	// Every JWT starts with "eyJ", the base64 of `{"`.
	if !strings.Contains(out, "to "+path) || strings.Contains(out, "eyJ") {
		t.Errorf("stdout %q, want it to say where the token is, and not print it", out)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", info.Mode().Perm())
	}
	token, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := e.verify(t, strings.TrimSpace(string(token))); p.RecoveryNamespaceID != store.GlobalNamespaceID {
		t.Errorf("token file holds a token for %s, want Global", p.RecoveryNamespaceID)
	}
}

func TestGenerateRecoveryTokenErrors(t *testing.T) {
	t.Parallel()
	e := newRecoveryEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown path", []string{"--namespace", "Global/Staging"},
			`--namespace "Global/Staging": namespace: "Global/Staging" does not exist: "Global" has no namespace named "Staging"`},
		{"unknown id", []string{"--namespace", "0b5e8f3a-7a54-4a53-9d1c-2b9c5f1e0d11"},
			`--namespace "0b5e8f3a-7a54-4a53-9d1c-2b9c5f1e0d11": namespace 0b5e8f3a-7a54-4a53-9d1c-2b9c5f1e0d11`},
		{"ttl over a day", []string{"--ttl", "25h"}, "--ttl: recovery token ttl is 25h0m0s, more than the maximum of 24h0m0s"},
		{"zero ttl", []string{"--ttl", "0s"}, "--ttl: recovery token ttl is 0s, want more than 0 and at most 24h0m0s"},
		{"unwritable out", []string{"--out", filepath.Join(e.dir, "missing", "token")}, "no such file or directory"},
	} {
		out, err := e.run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if strings.Contains(out, "eyJ") {
			t.Errorf("%s: printed %q despite the error", tc.name, out)
		}
	}
}

package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/config"
)

// unitPath is where the package installs the unit.
const unitPath = "/usr/lib/systemd/system/pomerium-console.service"

// unit is a parsed unit file: the values of each key of the [Service]
// section (and of the others, as "Section.Key"), in order.
type unit map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a setting: %q", path, line)
			}
			if section != "Service" {
				k = section + "." + k
			}
			u[k] = append(u[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of key.
func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("%s set %d times in the unit, want once", key, len(u[key]))
	}
	return u[key][0]
}

// TestUnitVerifies has systemd check the unit as installed: systemd-analyze
// verify (which also wants ExecStart's binary where the unit names it: in
// the root) and the sandbox's exposure score.
func TestUnitVerifies(t *testing.T) {
	t.Parallel()
	r := installed(t)
	// verify resolves the unit's default dependencies (sysinit.target and
	// the others) in the root too: this machine's targets stand in for the
	// system's.
	targets, err := filepath.Glob("/usr/lib/systemd/system/*.target")
	if err != nil || len(targets) == 0 {
		t.Fatalf("no systemd targets on this machine (%v): install systemd (hack/install-packaging.sh)", err)
	}
	etc := r.path("/etc/systemd/system")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, target := range targets {
		if err := os.WriteFile(filepath.Join(etc, filepath.Base(target)), readFile(t, target), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// verify exits 0 on settings it ignores with a warning (a misspelt
	// key, a bad value): any output at all fails.
	out, err := exec.CommandContext(t.Context(), "systemd-analyze", "verify", "--root="+r.dir, "pomerium-console.service").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// 0 is a fully locked-down service, 100 an unconfined one; 2.0 and
	// below systemd rates "OK".
	out, err = exec.CommandContext(t.Context(), "systemd-analyze", "security", "--root="+r.dir, "--offline=yes", "--threshold=20", "pomerium-console.service").CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
}

// TestUnitSettings pins the settings the packaged service depends on.
func TestUnitSettings(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, filepath.Join(repo, "config/systemd/pomerium-console.service"))
	for key, want := range map[string]string{
		"Type":                    "notify",
		"NotifyAccess":            "main",
		"ExecStart":               "/usr/bin/pomerium-console serve --config /etc/pomerium-console/config.yaml",
		"WatchdogSec":             "2min",
		"Restart":                 "on-failure",
		"User":                    user,
		"Group":                   user,
		"DynamicUser":             "no",
		"WorkingDirectory":        "/var/lib/pomerium-console",
		"ReadWritePaths":          "/var/lib/pomerium-console",
		"ProtectSystem":           "strict",
		"PrivateTmp":              "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"SystemCallFilter":        "@system-service",
		"LimitNOFILE":             "65536",
		"Install.WantedBy":        "multi-user.target",
		"Unit.After":              "network-online.target postgresql.service",
		"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
	} {
		if got := u.one(t, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	// The one directory the unit may write is the data_dir the packaged
	// config leaves to its default, and the one the package creates.
	if config.DefaultDataDir != dataDir.path {
		t.Errorf("data_dir defaults to %s, but the unit may write only %s", config.DefaultDataDir, dataDir.path)
	}
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store/backend"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestActivityVerify runs `activity verify`: intact, it prints one line
// with the entries verified and the head, and succeeds, also through an
// anchor taken from that line; a backup restored elsewhere verifies with
// the same head; after an entry is changed in the database it names the
// entry and fails, and an anchor of another chain fails.
func TestActivityVerify(t *testing.T) {
	t.Parallel()
	src, flags := opsDir(t, "")
	if _, stderr, err := runCommand(t, nil, append([]string{"import"}, append(flags, "../../importer/testdata/config.yaml")...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	verify := func(flags []string, more ...string) (string, error) {
		stdout, _, err := runCommand(t, nil, append(append([]string{"activity", "verify"}, more...), flags...)...)
		return stdout, err
	}
	stdout, err := verify(flags)
	intact := regexp.MustCompile(`^activity log intact: (\d+) entries verified, head (\d+:[0-9a-f]{64})\n$`).FindStringSubmatch(stdout)
	if err != nil || intact == nil || intact[1] == "0" {
		t.Fatalf("verify of an intact log: %v\n%q", err, stdout)
	}
	head := intact[2]
	if stdout, err := verify(flags, "--anchor", head); err != nil || !strings.Contains(stdout, "through 1 anchors, head "+head) {
		t.Errorf("verify through its own head: %v\n%s", err, stdout)
	}
	if _, err := verify(flags, "--anchor", "12"); err == nil || !strings.Contains(err.Error(), "--anchor: anchor \"12\": want SEQ:HASH") {
		t.Errorf("verify with a malformed anchor: %v", err)
	}

	backup := filepath.Join(t.TempDir(), "backup.jsonl")
	if _, stderr, err := runCommand(t, nil, append([]string{"backup", "--out", backup}, flags...)...); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	dst, dstFlags := opsDir(t, "")
	key, err := os.ReadFile(filepath.Join(src, backend.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, backend.KeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCommand(t, nil, append([]string{"restore", backup}, dstFlags...)...); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if stdout, err := verify(dstFlags, "--anchor", head); err != nil || !strings.HasSuffix(stdout, "head "+head+"\n") {
		t.Errorf("verify of the restored store: %v\n%s", err, stdout)
	}

	storetest.ExecFile(t, filepath.Join(src, backend.DatabaseFile), "UPDATE activity SET subject = $1 WHERE seq = 2", "mallory@example.com")
	stdout, err = verify(flags)
	if err == nil || !strings.Contains(err.Error(), "position 2 (altered)") ||
		!regexp.MustCompile(`^activity log broken at position 2 \(altered\): entry \d+ at position 2 does not match its hash`).MatchString(stdout) ||
		!strings.Contains(stdout, "1 entries verified before it") {
		t.Errorf("verify of a changed log: %v\n%s", err, stdout)
	}
	other := "1:" + strings.Repeat("0", 64)
	if _, err := verify(dstFlags, "--anchor", other); err == nil || !strings.Contains(err.Error(), "(anchor)") {
		t.Errorf("verify with another chain's anchor: %v", err)
	}
}

// TestChainMetrics: /metrics shows the position verified and whether the
// chain is broken.
func TestChainMetrics(t *testing.T) {
	t.Parallel()
	st, path := storetest.EmbeddedFile(t, make([]byte, 32))
	watch := manage.NewChainWatch(manage.ChainWatchOptions{Store: st, Logger: logr.Discard()})
	reg := prometheus.NewRegistry()
	registerChainMetrics(reg, watch)
	gauge := func(name string) float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	if n := testutil.CollectAndCount(reg); n != 3 {
		t.Errorf("%d metrics, want 3", n)
	}
	if v := gauge("pomerium_console_activity_verified_timestamp_seconds"); v != 0 {
		t.Errorf("verified at %v before the first verification", v)
	}
	watch.Verify(t.Context())
	if v, b := gauge("pomerium_console_activity_verified_sequence"), gauge("pomerium_console_activity_chain_broken"); v != 1 || b != 0 {
		t.Errorf("after verifying an intact log: sequence %v, broken %v; want 1 and 0", v, b)
	}
	if v := gauge("pomerium_console_activity_verified_timestamp_seconds"); v == 0 {
		t.Error("no time of the verification")
	}
	storetest.ExecFile(t, path, "DELETE FROM activity WHERE seq = 1")
	watch.Verify(t.Context())
	if v, b := gauge("pomerium_console_activity_verified_sequence"), gauge("pomerium_console_activity_chain_broken"); v != 0 || b != 1 {
		t.Errorf("after deleting the entry verified: sequence %v, broken %v; want 0 and 1", v, b)
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
)

// TestServeTakesItsMemoryLimitFromTheCgroup runs serve in a memory cgroup
// of its own, limited as a systemd unit's MemoryMax= or a container's
// memory limit would limit it, with GOMEMLIMIT unset: serve must give the
// Go runtime nine tenths of the cgroup's limit, say so in its log, and
// show it in its metrics.
func TestServeTakesItsMemoryLimitFromTheCgroup(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // serve inherits the test's environment
	const cgroupLimit = 3 << 30
	procs := memoryCgroup(t, cgroupLimit)
	c := startConsole(t, embeddedStore, consolebin.InCgroup(procs))
	want := int64(cgroupLimit * 9 / 10) // nine tenths, rounded down as serve rounds it

	logged := memoryLimitLogged(t, c.logPath)
	if logged["source"] != "cgroup" || logged["cgroup_limit_bytes"] != float64(cgroupLimit) || logged["limit_bytes"] != float64(want) {
		t.Errorf("serve logged %v, want source cgroup, cgroup_limit_bytes %d and limit_bytes %d", logged, cgroupLimit, want)
	}
	if got := gaugeValue(t, c.metrics, "go_gc_gomemlimit_bytes"); got != float64(want) {
		t.Errorf("go_gc_gomemlimit_bytes %v, want %d", got, want)
	}
}

// memoryCgroup makes a cgroup v1 memory group under this process's own,
// limited to limit bytes, and returns its cgroup.procs file; the group is
// removed when the test ends, after what the test started in it stopped
// (cleanups run last first). A machine whose memory controller is not a
// writable cgroup v1 hierarchy skips the test, saying why.
func memoryCgroup(t *testing.T, limit int64) string {
	t.Helper()
	own, mount, err := ownMemoryCgroup()
	if err != nil {
		t.Skipf("no cgroup v1 memory controller to limit serve with: %v", err)
	}
	dir := filepath.Join(mount, own, fmt.Sprintf("pomerium-console-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the test's memory cgroup: %v", err)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatalf("limit the test's memory cgroup: %v", err)
	}
	// A group's limit is also its ancestors': serve would see theirs.
	stat, err := os.ReadFile(filepath.Join(dir, "memory.stat"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(stat)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "hierarchical_memory_limit "); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != limit {
				t.Skipf("a group above this process's limits memory to %s bytes, below the test's %d", v, limit)
			}
		}
	}
	return filepath.Join(dir, "cgroup.procs")
}

// ownMemoryCgroup returns the path of this process's cgroup in the v1
// memory hierarchy, relative to where that hierarchy is mounted, and the
// mount point.
func ownMemoryCgroup() (own, mount string, err error) {
	groups, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(string(groups)) {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && hasOption(parts[1], "memory") {
			own = parts[2]
		}
	}
	if own == "" {
		return "", "", errors.New("/proc/self/cgroup names no v1 memory hierarchy (cgroup v2 only)")
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(string(mounts)) {
		// ID parent major:minor root mount-point options... - type source super-options
		fields := strings.Fields(line)
		sep := slices.Index(fields, "-")
		if sep < 5 || sep+3 >= len(fields) || fields[sep+1] != "cgroup" || !hasOption(fields[sep+3], "memory") {
			continue
		}
		// A container without a cgroup namespace mounts its own group as
		// the hierarchy's root.
		root, rel := fields[3], own
		if root != "/" {
			if rel = strings.TrimPrefix(own, root); rel != "" && !strings.HasPrefix(rel, "/") {
				continue // mounted from a group that is not ours
			}
		}
		if _, err := os.Stat(filepath.Join(fields[4], rel)); err != nil {
			return "", "", err
		}
		return rel, fields[4], nil
	}
	return "", "", fmt.Errorf("no mounted v1 memory hierarchy holds this process's group %s: %w", own, fs.ErrNotExist)
}

// hasOption reports whether a comma-separated option list holds opt.
func hasOption(list, opt string) bool {
	for o := range strings.SplitSeq(list, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// memoryLimitLogged returns the fields of serve's log line about its
// memory limit (serve logs JSON to a file).
func memoryLimitLogged(t *testing.T, logPath string) map[string]any {
	t.Helper()
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(log) {
		var fields map[string]any
		if json.Unmarshal(line, &fields) != nil {
			continue
		}
		if msg, _ := fields["msg"].(string); strings.Contains(msg, "memory limit") {
			return fields
		}
	}
	t.Fatalf("serve logged nothing about its memory limit:\n%s", log)
	return nil
}

// gaugeValue scrapes serve's metrics for the value of an unlabelled gauge.
func gaugeValue(t *testing.T, metricsAddr, name string) float64 {
	t.Helper()
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() //nolint:errcheck // read to the end below
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if value, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("serve's metrics have no %s (read error: %v)", name, sc.Err())
	return 0
}

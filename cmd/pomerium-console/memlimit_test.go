package main

import (
	"errors"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr/funcr"
)

// TestSetMemoryLimit: GOMEMLIMIT wins over the cgroup (off: no limit);
// without it the runtime gets nine tenths of the cgroup's limit; no cgroup,
// a cgroup without a limit, or one that cannot be read leaves the runtime
// without one; each case says in the log where the limit came from. The cgroup's limit is given
// here; e2e's TestServeTakesItsMemoryLimitFromTheCgroup runs serve in a
// real cgroup.
func TestSetMemoryLimit(t *testing.T) {
	// Not parallel: the runtime's memory limit is the process's.
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	const gib = 1 << 30
	for _, tc := range []struct {
		name      string
		env       string
		cgroup    uint64
		cgroupErr error
		want      int64 // the runtime's limit after
		logged    string
	}{
		{name: "cgroup", cgroup: 2 * gib, want: 2 * gib * 9 / 10,
			logged: `"msg"="memory limit set from the cgroup's" "source"="cgroup" "cgroup_limit_bytes"=2147483648 "share"=0.9 "limit_bytes"=1932735283`},
		{name: "GOMEMLIMIT", env: "1300MiB", cgroup: 2 * gib, want: math.MaxInt64,
			logged: `"msg"="memory limit from GOMEMLIMIT" "source"="GOMEMLIMIT" "GOMEMLIMIT"="1300MiB" "limit_bytes"=9223372036854775807`},
		{name: "GOMEMLIMIT off", env: "off", cgroup: 2 * gib, want: math.MaxInt64,
			logged: `"msg"="no memory limit; the heap may grow to about twice what is live" "source"="GOMEMLIMIT" "GOMEMLIMIT"="off"`},
		{name: "no cgroup limit", cgroupErr: memlimit.ErrNoLimit, want: math.MaxInt64,
			logged: `"msg"="no memory limit; the heap may grow to about twice what is live" "source"="none" "why"="GOMEMLIMIT is unset and no cgroup limits the process"`},
		{name: "no cgroup", cgroupErr: memlimit.ErrNoCgroup, want: math.MaxInt64,
			logged: `"source"="none" "why"="GOMEMLIMIT is unset and no cgroup limits the process"`},
		{name: "cgroup unreadable", cgroupErr: errors.New("open /sys/fs/cgroup/memory.max: permission denied"), want: math.MaxInt64,
			logged: `"error"="open /sys/fs/cgroup/memory.max: permission denied" "source"="none" "why"="GOMEMLIMIT is unset and the cgroup's memory limit could not be read"`},
		{name: "cgroup limit beyond int64", cgroup: math.MaxUint64, want: math.MaxInt64,
			logged: `"source"="cgroup" "cgroup_limit_bytes"=18446744073709551615 "share"=0.9 "limit_bytes"=9223372036854775807`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The runtime read GOMEMLIMIT when the process started: setting
			// it now only tells setMemoryLimit to leave the limit alone.
			t.Setenv("GOMEMLIMIT", tc.env)
			debug.SetMemoryLimit(math.MaxInt64)
			var lines []string
			log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{})
			asked := false
			setMemoryLimit(log, func() (uint64, error) { asked = true; return tc.cgroup, tc.cgroupErr })
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("runtime memory limit %d, want %d", got, tc.want)
			}
			if asked != (tc.env == "") {
				t.Errorf("cgroup asked: %v, want %v", asked, tc.env == "")
			}
			if len(lines) != 1 || !strings.Contains(lines[0], tc.logged) {
				t.Errorf("logged %q, want one line with %q", lines, tc.logged)
			}
		})
	}
}

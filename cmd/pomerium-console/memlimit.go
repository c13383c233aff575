package main

import (
	"errors"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
)

// cgroupShare is the share of its cgroup's memory limit that a
// long-running command gives the Go runtime as its soft memory limit when
// GOMEMLIMIT is unset. The rest is for memory the runtime does not count:
// SQLite's own allocations (the embedded store's page cache), thread
// stacks outside Go, and what the kernel charges to the cgroup besides.
const cgroupShare = 0.9

// setMemoryLimit gives the Go runtime a soft memory limit, from GOMEMLIMIT
// when it is set, else from the limit cgroupLimit reports (the smallest of
// the process's cgroup and its ancestors: a systemd unit's MemoryMax=, a
// container's memory limit), and logs which. Without a limit the collector
// lets the heap grow to about twice what it found live at its last
// collection: at a million routes, 2.3-2.5 GiB where the console holds
// about 1 GiB. Within a limit it collects more often as the heap nears it,
// and the process stays below what the kernel would kill it at.
//
// A limit that cannot be read leaves the runtime without one, with the
// reason in the log; it never stops the command.
func setMemoryLimit(log logr.Logger, cgroupLimit func() (uint64, error)) {
	const none = "no memory limit; the heap may grow to about twice what is live"
	switch v := os.Getenv("GOMEMLIMIT"); v {
	case "":
	case "off":
		log.Info(none, "source", "GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	default:
		// The runtime read it at start-up (and refused to start on a
		// malformed one).
		log.Info("memory limit from GOMEMLIMIT", "source", "GOMEMLIMIT", "GOMEMLIMIT", v, "limit_bytes", debug.SetMemoryLimit(-1))
		return
	}
	limit, err := cgroupLimit()
	switch {
	case errors.Is(err, memlimit.ErrNoLimit) || errors.Is(err, memlimit.ErrNoCgroup) || errors.Is(err, memlimit.ErrCgroupsNotSupported):
		log.Info(none, "source", "none", "why", "GOMEMLIMIT is unset and no cgroup limits the process")
	case err != nil:
		log.Error(err, none, "source", "none", "why", "GOMEMLIMIT is unset and the cgroup's memory limit could not be read")
	default:
		soft := int64(math.MaxInt64)
		if f := float64(limit) * cgroupShare; f < math.MaxInt64 {
			soft = int64(f)
		}
		debug.SetMemoryLimit(soft)
		log.Info("memory limit set from the cgroup's", "source", "cgroup", "cgroup_limit_bytes", limit, "share", cgroupShare, "limit_bytes", soft)
	}
}

package kubetest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/pomerium-console/pomerium-console/hack/internal/owner"
)

// envDirPrefix names the temporary directory of each environment, so that
// sweepStale can find the ones whose test binary died.
const envDirPrefix = "pomerium-console-kubetest-"

// sweepStale kills the etcd and kube-apiserver of environments whose test
// binary died without calling Stop, and removes their directories. envtest
// starts them in process groups of their own and asks the kernel for no
// parent-death signal, so they would otherwise run, each holding hundreds of
// megabytes, until the machine reboots; and machines that run the tests are
// reused.
//
// It is best effort: a process it cannot kill or a directory it cannot
// remove costs memory or disk, not correctness, so such errors are ignored.
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), envDirPrefix+"*")) // the pattern is constant, so Glob cannot fail
	for _, dir := range dirs {
		if !owner.Abandoned(dir) {
			continue
		}
		for _, pid := range processesNaming(dir) {
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // best effort, see above
		}
		os.RemoveAll(dir) //nolint:errcheck // best effort, see above
	}
}

// processesNaming lists the processes whose command line contains dir: the
// etcd (--data-dir) and kube-apiserver (--cert-dir) of an environment. It
// reads /proc, so it finds nothing where there is none, such as on macOS.
func processesNaming(dir string) []int {
	entries, _ := os.ReadDir("/proc") // no /proc: nothing to find
	var pids []int
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue // not a process
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil {
			continue // exited since ReadDir, or not readable by us
		}
		// Arguments are separated by NULs; "--data-dir=DIR/etcd" holds DIR
		// followed by a slash.
		if bytes.Contains(cmdline, []byte(dir+string(filepath.Separator))) {
			pids = append(pids, pid)
		}
	}
	return pids
}

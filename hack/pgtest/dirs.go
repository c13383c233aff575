package pgtest

import (
	"os"
	"path/filepath"
	"syscall"

	dirowner "github.com/pomerium-console/pomerium-console/hack/internal/owner"
)

// serverDirPrefix names the temporary directory of each server, so that
// sweepStale can find the ones whose test binary died.
const serverDirPrefix = "pomerium-console-pgtest-srv-"

const (
	// shmDir is a tmpfs on Linux. On the disks of the machines that run our
	// tests, CREATE DATABASE takes about 200 ms and copying the template
	// 700 ms; on tmpfs they take 30 ms and 60 ms, and every test creates a
	// database.
	shmDir = "/dev/shm"
	// shmMinFree keeps servers off a small /dev/shm, such as the 64 MiB a
	// container gets by default, where a test writing data would run out of
	// space with an error that says nothing about why.
	shmMinFree = 1 << 30
)

// serverBase picks where a server's directory goes. A server asked to fsync
// stays on disk: on tmpfs fsync returns at once, and the benchmark that asked
// for it would measure nothing.
func serverBase(opts Options) string {
	if opts.Fsync {
		return os.TempDir()
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(shmDir, &st); err != nil || st.Bavail*uint64(st.Bsize) < shmMinFree {
		return os.TempDir()
	}
	if syscall.Access(shmDir, 2 /* W_OK */) != nil {
		return os.TempDir()
	}
	return shmDir
}

// sweepStale removes the directories of servers whose test binary died
// without calling Stop (a panic, a -timeout, a kill). Each holds a full data
// directory, and machines that run the tests are reused, so they would fill
// the disk over time.
//
// It is best effort: a directory it cannot read or remove costs disk space,
// not correctness, so such errors are ignored.
func sweepStale() {
	var dirs []string
	for _, base := range []string{os.TempDir(), shmDir} {
		matches, _ := filepath.Glob(filepath.Join(base, serverDirPrefix+"*")) // the pattern is constant, so Glob cannot fail
		dirs = append(dirs, matches...)
	}
	for _, dir := range dirs {
		if !dirowner.Abandoned(dir) {
			continue
		}
		// The kernel stops a postmaster whose test binary died, but only on
		// Linux and only once the signal has been handled.
		if pm, ok := dirowner.ReadPID(filepath.Join(dir, "data", "postmaster.pid")); ok && dirowner.Runs(pm) {
			continue
		}
		os.RemoveAll(dir) //nolint:errcheck // best effort, see above
	}
}

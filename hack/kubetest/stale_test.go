package kubetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/internal/owner"
)

// TestSweepStaleKillsOrphans stands in for an environment whose test binary
// died: a directory owned by a process that has exited, and a process whose
// command line names a path in it, as etcd's --data-dir does.
func TestSweepStaleKillsOrphans(t *testing.T) {
	t.Parallel()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", envDirPrefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) //nolint:errcheck // only if the sweep failed to
	if err := os.WriteFile(filepath.Join(dir, owner.File), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	// read is a shell builtin, so the shell itself waits, on a pipe that
	// never delivers, with no child that would outlive it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() }) //nolint:errcheck // pipe ends of a finished test
	orphan := exec.Command("sh", "-c", "read -r line", filepath.Join(dir, "etcd"))
	orphan.Stdin = r
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- orphan.Wait() }()
	t.Cleanup(func() { orphan.Process.Kill() }) //nolint:errcheck // only if the sweep failed to

	sweepStale()

	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Error("the orphaned process still runs after sweepStale")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stat %s after sweepStale: %v, want it removed", dir, err)
	}
}

// TestSweepStaleSparesLiveOwners checks that an environment of a running
// test binary, here this one, is left alone.
func TestSweepStaleSparesLiveOwners(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", envDirPrefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) //nolint:errcheck // a leftover temp dir only costs disk
	if err := owner.Write(dir); err != nil {
		t.Fatal(err)
	}

	sweepStale()

	if _, err := os.Stat(filepath.Join(dir, owner.File)); err != nil {
		t.Errorf("the directory of a live owner was touched: %v", err)
	}
}

// TestZombieOwnerCountsAsDead: a test binary killed by -timeout stays a
// zombie until its parent reaps it, and its environment is abandoned all the
// same.
func TestZombieOwnerCountsAsDead(t *testing.T) {
	t.Parallel()
	child := exec.Command("sh", "-c", "exit 0")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	pid := child.Process.Pid
	// Until Wait reaps it, the exited child is a zombie; how soon it exits
	// is up to the scheduler, so poll.
	deadline := time.Now().Add(10 * time.Second)
	for owner.Runs(pid) {
		if time.Now().After(deadline) {
			t.Fatal("an exited, unreaped child still counts as running")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Wait(); err != nil {
		t.Fatal(err)
	}
	if owner.Runs(pid) {
		t.Error("a reaped child counts as running")
	}
	if !owner.Runs(os.Getpid()) {
		t.Error("this test binary does not count as running")
	}
}

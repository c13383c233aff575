// Package owner marks the temporary directories of test servers (PostgreSQL,
// etcd and kube-apiserver) with the test binary that owns them, so that a
// later run can tell the directories of binaries that died without cleaning
// up (a panic, a -timeout, a kill) and reclaim them.
package owner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// File is the name of the file in a directory that records its owner.
const File = "owner.pid"

// Write records the running process as the owner of dir.
func Write(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, File), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("record owner: %w", err)
	}
	return nil
}

// Abandoned reports whether dir records an owner that no longer runs. A
// directory without a readable owner is not abandoned: it may still be
// being prepared by a concurrent start, or not be ours.
func Abandoned(dir string) bool {
	pid, ok := ReadPID(filepath.Join(dir, File))
	return ok && !Runs(pid)
}

// ReadPID reads a pid from the first line of a file, as Write writes it and
// postgres writes postmaster.pid.
func ReadPID(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 0
}

// Runs reports whether pid exists and has not exited. EPERM means it exists
// but belongs to another user, which counts: only a definite "no such
// process" or a zombie means it is gone. A zombie is a process that died but
// whose parent has yet to reap it, which may take long where the parent is
// an init that reaps lazily.
func Runs(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true // no /proc to tell: trust kill
	}
	// "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
	_, rest, _ := strings.Cut(string(stat[bytes.LastIndexByte(stat, ')')+1:]), " ")
	return !strings.HasPrefix(rest, "Z")
}

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// owner is the OS user that initdb and postgres run as and that owns the data
// and socket directories.
type owner struct {
	uid, gid int
	// cred is nil when the current user is the owner; otherwise the children
	// switch to it, because both initdb and postgres refuse to run as root.
	cred *syscall.Credential
}

func serverOwner() (owner, error) {
	if os.Geteuid() != 0 {
		return owner{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return owner{}, fmt.Errorf("look up the postgres OS user, which PostgreSQL needs when tests run as root (hack/install-postgres.sh creates it): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return owner{}, fmt.Errorf("postgres uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return owner{}, fmt.Errorf("postgres gid %q: %w", u.Gid, err)
	}
	return owner{uid: uid, gid: gid, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}

// chown hands a directory we created to the owner; a no-op when we are the
// owner already.
func (o owner) chown(path string) error {
	if o.cred == nil {
		return nil
	}
	if err := os.Chown(path, o.uid, o.gid); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	return nil
}

// command prepares a child that runs as the owner in dir and is killed when
// ctx ends. dir matters beyond
// tidiness: initdb exits when it cannot read its working directory, which is
// the case for a root-owned test package directory seen by the postgres user.
func (o owner) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(o.cred)
	return cmd
}

// childEnv drops the libpq and server variables (PGDATA, PGPORT, ...) that a
// developer may have exported for their own server, so they cannot redirect
// ours.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// tempDir creates a directory in base that the owner can write, since
// postgres puts its socket and lock files there.
func (o owner) tempDir(base, pattern string) (string, error) {
	dir, err := os.MkdirTemp(base, pattern)
	if err != nil {
		return "", fmt.Errorf("create temp dir: %w", err)
	}
	if err := o.chown(dir); err != nil {
		return "", withRemoved(err, dir)
	}
	return dir, nil
}

// withRemoved removes dir, which the failure err left useless, and reports
// both problems if the removal fails too.
func withRemoved(err error, dir string) error {
	return errors.Join(err, os.RemoveAll(dir))
}

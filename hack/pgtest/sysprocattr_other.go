//go:build !linux

package pgtest

import "syscall"

// sysProcAttr puts the child in its own process group so that a Ctrl-C aimed
// at go test does not reach it before Stop does. Without Linux's parent-death
// signal, a test binary that dies without calling Stop leaves the server
// running.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}

//go:build !linux

package pomeriumtest

import "syscall"

// sysProcAttr puts the child in its own process group so that a Ctrl-C aimed
// at go test does not reach it before Stop does. Without Linux's
// parent-death signal, a test binary that dies without calling Stop leaves
// the server running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

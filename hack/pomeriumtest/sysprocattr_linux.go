package pomeriumtest

import "syscall"

// sysProcAttr puts the child in its own process group so that a Ctrl-C aimed
// at go test does not reach it before Stop does, and asks the kernel to stop
// it if the test binary dies without calling Stop (a panic or a -timeout).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// Package loopback finds free loopback addresses for the servers tests
// start. It is for tests only: a port free a moment ago may be taken by
// another process before the server binds it, which the server's start
// then reports.
package loopback

import (
	"fmt"
	"net"
	"testing"
)

// FreePort asks the kernel for a TCP port that is free on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// FreeAddr is FreePort as host:port, failing the test when none is found.
func FreeAddr(t testing.TB) string {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

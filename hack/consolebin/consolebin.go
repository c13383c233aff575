// Package consolebin builds the console's binary for tests and tools that
// run it as a process of its own, runs its serve command (Start), and
// gives that process a certificate and its clients a token as the
// official clients send it.
//
// This package must not be imported by production code.
package consolebin

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// Build builds the console binary into out. It leaves out make build's
// -trimpath, which would compile every dependency again instead of reusing
// what the build cache holds from compiling the tests.
func Build(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/pomerium-console/pomerium-console/cmd/pomerium-console")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the console: %w\n%s", err, b)
	}
	return nil
}

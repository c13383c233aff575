package containerimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// consolePackage is the console's main package, relative to the module root.
const consolePackage = "./cmd/pomerium-console"

// buildEnv is the environment of a build for arch on top of the caller's: no
// cgo, so the binary is static and the image needs no libc, and fixed
// microarchitecture levels, so that a GOAMD64 or GOARM64 set on the build
// machine changes neither what the image runs on nor its digest.
func buildEnv(arch string, extra []string) []string {
	env := append(os.Environ(),
		"CGO_ENABLED=0",
		"GOOS=linux",
		"GOARCH="+arch,
		"GOAMD64=v1",
		"GOARM64=v8.0",
	)
	return append(env, extra...)
}

// buildBinary compiles the console for linux/arch into dir and returns the
// binary's bytes. It builds as `make build` does (-trimpath, the version in
// main.version) and also strips the symbol table and DWARF (-s -w), which
// the image has no use for; panics still print their stack traces.
func buildBinary(ctx context.Context, spec Spec, arch, dir string) ([]byte, error) {
	out := filepath.Join(dir, "pomerium-console-linux-"+arch)
	cmd := exec.CommandContext(ctx, "go", "build",
		"-trimpath",
		"-ldflags", "-s -w -X main.version="+spec.Version,
		"-o", out,
		consolePackage)
	cmd.Dir = spec.ModuleDir
	cmd.Env = buildEnv(arch, spec.GoEnv)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build for linux/%s: %w\n%s", arch, err, strings.TrimSpace(output.String()))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read the linux/%s binary: %w", arch, err)
	}
	return b, nil
}

package packaging

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repo is the repository root, relative to this package.
const repo = "../.."

var (
	// deb and rpm are the packages built for this machine's architecture.
	deb, rpm string
	// version is the console's version they were built with.
	version string
	// hostHadUser says whether this machine had a pomerium-console user
	// before the tests, which install only into roots of their own.
	hostHadUser bool
)

// tools are what the tests run; hack/install-packaging.sh installs them.
var tools = []string{"dpkg", "dpkg-deb", "dpkg-query", "systemd-analyze", "systemd-sysusers", "systemd-tmpfiles", "rpm"}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pomerium-console-packages-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "packaging:", err)
		return 1
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory; nothing to do about it
	if err := prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, "packaging:", err)
		return 1
	}
	return m.Run()
}

// prepare checks what the tests need and builds the packages into dir, as
// make packages does, for this architecture only.
func prepare(dir string) error {
	// Installing into a root of one's own still takes root: dpkg sets
	// owners, the console is started in the root (chroot) as its user.
	if os.Getuid() != 0 {
		return fmt.Errorf("the package tests install packages and start the console as its user: run them as root")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (run hack/install-packaging.sh): %w", tool, err)
		}
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return err
	}
	hostHadUser = bytes.Contains(passwd, []byte("\npomerium-console:")) || bytes.HasPrefix(passwd, []byte("pomerium-console:"))
	// go -C runs the packager in its own directory: the paths it is given
	// must not be relative to this one.
	root, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	v, err := exec.CommandContext(ctx, "git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return fmt.Errorf("git describe: %w", err)
	}
	version = strings.TrimSpace(string(v))
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "-C", filepath.Join(root, "hack", "packages"), "run", ".",
		"-repo", root, "-version", version, "-arch", runtime.GOARCH, "-out", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("build the packages: %w\n%s", err, stderr.Bytes())
	}
	fmt.Fprintf(os.Stderr, "packaging: built in %s:\n%s", time.Since(start).Round(time.Second), stderr.Bytes())
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		switch p := sc.Text(); {
		case strings.HasSuffix(p, ".deb"):
			deb = p
		case strings.HasSuffix(p, ".rpm"):
			rpm = p
		}
	}
	if deb == "" || rpm == "" {
		return fmt.Errorf("the packager wrote no .deb or no .rpm:\n%s", out)
	}
	return nil
}

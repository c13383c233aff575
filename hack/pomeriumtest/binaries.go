package pomeriumtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DirEnv names a directory holding dbserver and configcheck to use instead
// of ../shared/pomerium-v0.33.0/ beside the module root.
const DirEnv = "POMERIUM_CONSOLE_POMERIUM_DIR"

// Version is the Pomerium release the binaries are built from.
const Version = "v0.33.0"

// ErrNoBinaries means dbserver or configcheck is not where the tests look
// for it. It fails the package: a machine without them must not pass by
// running none of the tests that need them.
var ErrNoBinaries = errors.New("the dbserver and configcheck programs of Pomerium " + Version + " are missing")

const modulePath = "github.com/pomerium-console/pomerium-console"

// Binaries are the paths of the two programs.
type Binaries struct {
	Dbserver, Configcheck string
}

// FindBinaries returns the programs in the directory DirEnv names, or else in
// ../shared/pomerium-<Version>/ beside the module root. The error wraps
// [ErrNoBinaries] when one is missing and says where it was looked for.
func FindBinaries() (Binaries, error) {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return Binaries{}, err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "pomerium-"+Version)
	}
	b := Binaries{Dbserver: filepath.Join(dir, "dbserver"), Configcheck: filepath.Join(dir, "configcheck")}
	for _, path := range []string{b.Dbserver, b.Configcheck} {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("%w: no executable %s (CI keeps them in ../shared/pomerium-%s/ beside the repository; set %s to another directory holding them)",
				ErrNoBinaries, path, Version, DirEnv)
		}
	}
	return b, nil
}

// moduleRoot walks up from the working directory, which go test sets to the
// package's directory, to the directory of the console's go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if isConsoleModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no go.mod of %s in %s or above; set %s", ErrNoBinaries, modulePath, wd, DirEnv)
		}
	}
}

// isConsoleModule reports whether path is the console's go.mod, and not that
// of a nested module such as tools/.
func isConsoleModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close() //nolint:errcheck // read only
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == modulePath
		}
	}
	return false
}

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ErrNoBinaries means no initdb and postgres executables could be found.
// [Main] treats it differently from other start errors: it is the one failure
// that POMERIUM_CONSOLE_SKIP_POSTGRES=1 may turn into a skip.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin or on PATH (run hack/install-postgres.sh)")

// debianRoot is where Debian's postgresql packages put one bin directory per
// major version, none of which is on PATH.
const debianRoot = "/usr/lib/postgresql"

// binaries names the executables of one PostgreSQL installation.
type binaries struct {
	dir     string
	version string // as printed by postgres --version, e.g. "15.18"
}

func (b binaries) initdb() string   { return filepath.Join(b.dir, "initdb") }
func (b binaries) postgres() string { return filepath.Join(b.dir, "postgres") }

// findBinaries is cached because every Start needs it and the answer cannot
// change while tests run.
var findBinaries = sync.OnceValues(func() (binaries, error) {
	dir, err := binDir()
	if err != nil {
		return binaries{}, err
	}
	b := binaries{dir: dir}
	out, err := exec.Command(b.postgres(), "--version").Output()
	if err != nil {
		return binaries{}, fmt.Errorf("%s --version: %w", b.postgres(), err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return binaries{}, fmt.Errorf("%s --version: unexpected output %q", b.postgres(), out)
	}
	b.version = fields[2]
	return b, nil
})

// binDir prefers the highest Debian major version, because several may be
// installed side by side during an upgrade and the newest is what CI installs.
func binDir() (string, error) {
	matches, _ := filepath.Glob(filepath.Join(debianRoot, "*", "bin", "initdb")) // the pattern is constant, so Glob cannot fail
	type candidate struct {
		dir   string
		major []int
	}
	var found []candidate
	for _, initdb := range matches {
		dir := filepath.Dir(initdb)
		if !isExecutable(filepath.Join(dir, "postgres")) {
			continue // a half-removed package; the next version may be whole
		}
		major, ok := parseVersion(filepath.Base(filepath.Dir(dir)))
		if !ok {
			continue // not a version directory, e.g. a packager's symlink farm
		}
		found = append(found, candidate{dir: dir, major: major})
	}
	if len(found) > 0 {
		best := slices.MaxFunc(found, func(a, b candidate) int { return slices.Compare(a.major, b.major) })
		return best.dir, nil
	}

	// Other distributions and Homebrew put the server binaries on PATH.
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", ErrNoBinaries
	}
	dir := filepath.Dir(initdb)
	if !isExecutable(filepath.Join(dir, "postgres")) {
		return "", ErrNoBinaries
	}
	return dir, nil
}

func parseVersion(s string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

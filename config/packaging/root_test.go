package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// root is a throwaway filesystem root that packages are installed into.
type root struct {
	t   *testing.T
	dir string
}

// newRoot makes an empty root with what dpkg needs to keep its database
// there. The root is searchable by everyone, as / is: the console runs in
// it as an unprivileged user.
func newRoot(t *testing.T) *root {
	t.Helper()
	r := &root{t: t, dir: t.TempDir()}
	for _, d := range []string{"etc", "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "tmp"} {
		if err := os.MkdirAll(r.path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if err := os.WriteFile(r.path(f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, mode := range map[string]os.FileMode{".": 0o755, "tmp": 0o1777} {
		if err := os.Chmod(r.path(p), mode); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// installed returns a root with the .deb installed.
func installed(t *testing.T) *root {
	t.Helper()
	r := newRoot(t)
	r.dpkg("-i", deb)
	return r
}

// dpkg runs dpkg on the root. The maintainer scripts run outside it
// (--force-script-chrootless: the root has no shell to chroot into) with
// DPKG_ROOT set, which they honour. The root holds none of the package's
// dependencies (systemd), hence --force-depends.
func (r *root) dpkg(args ...string) string {
	r.t.Helper()
	cmd := exec.CommandContext(r.t.Context(), "dpkg", append([]string{
		"--root=" + r.dir, "--log=" + r.path("var/log/dpkg.log"), "--force-script-chrootless", "--force-depends",
	}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// query asks dpkg-query about the package installed in the root.
func (r *root) query(format string) string {
	r.t.Helper()
	out, err := exec.CommandContext(r.t.Context(), "dpkg-query", "--admindir="+r.path("var/lib/dpkg"),
		"-W", "-f="+format, "pomerium-console").CombinedOutput()
	if err != nil {
		r.t.Fatalf("dpkg-query: %v\n%s", err, out)
	}
	return string(out)
}

// path is p (absolute in the root) on this machine.
func (r *root) path(p string) string { return filepath.Join(r.dir, p) }

// account is an entry of the root's /etc/passwd.
type account struct {
	uid, gid    uint32
	home, shell string
}

// user returns the root's account called name; ok is false without one.
func (r *root) user(name string) (a account, ok bool) {
	r.t.Helper()
	f := r.entry("etc/passwd", name)
	if f == nil {
		return account{}, false
	}
	if len(f) != 7 {
		r.t.Fatalf("passwd entry of %s: %q", name, f)
	}
	return account{uid: r.id(f[2]), gid: r.id(f[3]), home: f[5], shell: f[6]}, true
}

// group returns the id of the root's group called name.
func (r *root) group(name string) uint32 {
	r.t.Helper()
	f := r.entry("etc/group", name)
	if len(f) < 3 {
		r.t.Fatalf("no group %s in the root: %q", name, f)
	}
	return r.id(f[2])
}

// entry returns the fields of the line of a colon-separated database (as
// /etc/passwd) whose first field is name.
func (r *root) entry(file, name string) []string {
	r.t.Helper()
	f, err := os.Open(r.path(file))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Split(sc.Text(), ":"); fields[0] == name {
			return fields
		}
	}
	if err := sc.Err(); err != nil {
		r.t.Fatal(err)
	}
	return nil
}

func (r *root) id(s string) uint32 {
	r.t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		r.t.Fatalf("id %q: %v", s, err)
	}
	return uint32(n)
}

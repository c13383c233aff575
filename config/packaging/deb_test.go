package packaging

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// user is the account the package creates and the service runs as.
const user = "pomerium-console"

// entry is what one path of an installed package must be.
type entry struct {
	path         string
	dir          bool
	mode         os.FileMode // permission bits
	owner, group string      // names in the root's databases
	same         string      // the repository file it is a copy of, if any
}

// packaged lists every file and directory of the package, and the data
// directory its scripts create.
var packaged = []entry{
	{path: "/usr/bin/pomerium-console", mode: 0o755, owner: "root", group: "root"},
	{path: "/etc/pomerium-console", dir: true, mode: 0o750, owner: "root", group: user},
	{path: "/etc/pomerium-console/config.yaml", mode: 0o640, owner: "root", group: user, same: "config/example.yaml"},
	{path: "/usr/lib/systemd/system/pomerium-console.service", mode: 0o644, owner: "root", group: "root", same: "config/systemd/pomerium-console.service"},
	{path: "/usr/lib/sysusers.d/pomerium-console.conf", mode: 0o644, owner: "root", group: "root", same: "config/packaging/sysusers.conf"},
	{path: "/usr/lib/tmpfiles.d/pomerium-console.conf", mode: 0o644, owner: "root", group: "root", same: "config/packaging/tmpfiles.conf"},
}

// dataDir is the data directory the scripts create.
var dataDir = entry{path: "/var/lib/pomerium-console", dir: true, mode: 0o750, owner: user, group: user}

// check fails t unless p in the root is as e says.
func (r *root) check(e entry) {
	r.t.Helper()
	a, ok := r.user(user)
	if !ok {
		r.t.Fatalf("no user %s in the root", user)
	}
	uids := map[string]uint32{"root": 0, user: a.uid}
	gids := map[string]uint32{"root": 0, user: r.group(user)}
	fi, err := os.Lstat(r.path(e.path))
	if err != nil {
		r.t.Error(err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.IsDir() != e.dir || (!e.dir && !fi.Mode().IsRegular()) {
		r.t.Errorf("%s is %v, want a directory: %v", e.path, fi.Mode().Type(), e.dir)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky); got != e.mode {
		r.t.Errorf("%s has mode %v, want %v", e.path, got, e.mode)
	}
	if st.Uid != uids[e.owner] || st.Gid != gids[e.group] {
		r.t.Errorf("%s is owned by %d:%d, want %s:%s (%d:%d)", e.path, st.Uid, st.Gid, e.owner, e.group, uids[e.owner], gids[e.group])
	}
	if e.same != "" {
		want, err := os.ReadFile(repo + "/" + e.same)
		if err != nil {
			r.t.Fatal(err)
		}
		if got, err := os.ReadFile(r.path(e.path)); err != nil || !bytes.Equal(got, want) {
			r.t.Errorf("%s differs from %s (%v)", e.path, e.same, err)
		}
	}
}

func TestDebInstallsIntoARoot(t *testing.T) {
	t.Parallel()
	r := installed(t)

	a, ok := r.user(user)
	if !ok {
		t.Fatalf("postinst created no user %s", user)
	}
	if a.uid == 0 || a.uid >= 1000 || a.gid != r.group(user) || a.home != dataDir.path || !strings.HasSuffix(a.shell, "/nologin") {
		t.Errorf("user %s is %+v, want a system user (uid 1-999) with its own group, home %s, no login shell", user, a, dataDir.path)
	}
	for _, e := range append(packaged, dataDir) {
		r.check(e)
	}

	// Nothing else is installed, and the files are as the package lists
	// them (checksums, modes).
	var want []string
	for _, e := range packaged {
		if !e.dir {
			want = append(want, e.path)
		}
	}
	var files []string
	for _, p := range strings.Fields(r.query("${db-fsys:Files}")) {
		if fi, err := os.Lstat(r.path(p)); err == nil && !fi.IsDir() {
			files = append(files, p)
		}
	}
	slices.Sort(want)
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Errorf("package files %q, want %q", files, want)
	}
	if out := r.dpkg("--verify", "pomerium-console"); out != "" {
		t.Errorf("dpkg --verify: %s", out)
	}
	if got := strings.TrimSpace(r.query("${Conffiles}")); !strings.HasPrefix(got, "/etc/pomerium-console/config.yaml ") || strings.Count(got, "\n") != 0 {
		t.Errorf("conffiles %q, want the config file alone", got)
	}

	// The binary needs no C library (CGO_ENABLED=0) and is the one built.
	bin := r.path("/usr/bin/pomerium-console")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Machine != machine {
		t.Errorf("binary for %v, want %v", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary is dynamically linked (%v)", p.Type)
		}
	}
	out, err := exec.CommandContext(t.Context(), bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "pomerium-console "+version+" ") {
		t.Errorf("pomerium-console version: %q, %v; want version %s", out, err, version)
	}

	// The scripts changed the root only.
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if !hostHadUser && bytes.Contains(passwd, []byte(user+":")) {
		t.Errorf("installing into a root created user %s on this machine", user)
	}
}

// TestDebUpgradeAndRemove: an upgrade (the package installed again) keeps
// the administrator's config and the data; removing keeps the config, the
// data and the user; purging removes the config only.
func TestDebUpgradeAndRemove(t *testing.T) {
	t.Parallel()
	r := installed(t)
	config := r.path("/etc/pomerium-console/config.yaml")
	edited := append(readFile(t, config), "bind_addr: 127.0.0.1:8701\n"...)
	if err := os.WriteFile(config, edited, 0o640); err != nil {
		t.Fatal(err)
	}
	data := r.path(dataDir.path + "/console.db")
	if err := os.WriteFile(data, []byte("the store"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := r.user(user)

	r.dpkg("-i", deb)
	if !bytes.Equal(readFile(t, config), edited) {
		t.Error("the upgrade replaced the edited config")
	}
	if again, _ := r.user(user); again != a {
		t.Errorf("the upgrade changed the user from %+v to %+v", a, again)
	}
	edit := packaged[2] // the config, no longer the packaged one
	edit.same = ""
	for _, e := range []entry{packaged[0], packaged[1], edit, dataDir} {
		r.check(e)
	}
	if !bytes.Equal(readFile(t, data), []byte("the store")) {
		t.Error("the upgrade changed the data")
	}

	r.dpkg("-r", "pomerium-console")
	for _, p := range []string{"/usr/bin/pomerium-console", "/usr/lib/systemd/system/pomerium-console.service"} {
		if _, err := os.Lstat(r.path(p)); !os.IsNotExist(err) {
			t.Errorf("%s left after remove (%v)", p, err)
		}
	}
	if !bytes.Equal(readFile(t, config), edited) {
		t.Error("remove changed the config")
	}

	r.dpkg("--purge", "pomerium-console")
	if _, err := os.Lstat(config); !os.IsNotExist(err) {
		t.Errorf("the config is left after purge (%v)", err)
	}
	if !bytes.Equal(readFile(t, data), []byte("the store")) {
		t.Error("purge changed the data")
	}
	if _, ok := r.user(user); !ok {
		t.Error("purge removed the user, who still owns the data")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

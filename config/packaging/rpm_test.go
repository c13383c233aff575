package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// rpmQuery asks rpm about the .rpm file.
func rpmQuery(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "rpm", append(append([]string{"-qp"}, args...), rpm)...).Output()
	if err != nil {
		t.Fatalf("rpm -qp %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// TestRpmContents reads the .rpm with rpm: its files have the modes and
// owners of the .deb's, the config file is %config(noreplace), and the
// scripts are the ones the .deb runs (and the user's %pre).
func TestRpmContents(t *testing.T) {
	t.Parallel()
	if out, err := exec.CommandContext(t.Context(), "rpm", "-K", "--nosignature", rpm).CombinedOutput(); err != nil {
		t.Errorf("rpm -K: %v\n%s", err, out)
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if got := rpmQuery(t, "--qf", "%{NAME} %{ARCH}"); got != "pomerium-console "+arch {
		t.Errorf("name and arch %q, want pomerium-console %s", got, arch)
	}
	if !slices.Contains(strings.Fields(rpmQuery(t, "--requires")), "systemd") {
		t.Error("the .rpm does not require systemd, whose sysusers and tmpfiles its scripts run")
	}

	var want []string
	for _, e := range packaged {
		perms := "-"
		if e.dir {
			perms = "d"
		}
		for i, c := range "rwxrwxrwx" {
			if e.mode&(1<<(8-i)) != 0 {
				perms += string(c)
			} else {
				perms += "-"
			}
		}
		flags := ""
		if e.path == "/etc/pomerium-console/config.yaml" {
			flags = "cn" // %config(noreplace)
		}
		want = append(want, strings.Join([]string{e.path, perms, e.owner, e.group, flags}, " "))
	}
	var got []string
	sc := bufio.NewScanner(strings.NewReader(rpmQuery(t, "--qf", "[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]")))
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("files of the .rpm:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for tag, file := range map[string]string{
		"PREIN": "preinstall.rpm.sh", "POSTIN": "postinstall.sh", "PREUN": "preremove.sh", "POSTUN": "postremove.sh",
	} {
		script := string(readFile(t, filepath.Join(repo, "config/packaging/scripts", file)))
		if got := rpmQuery(t, "--qf", "%{"+tag+"}"); strings.TrimSpace(got) != strings.TrimSpace(script) {
			t.Errorf("%%{%s} is not scripts/%s:\n%s", tag, file, got)
		}
	}
	// %pre creates the user before sysusers.conf is installed: it carries
	// that file's line.
	var line string
	for l := range strings.Lines(string(readFile(t, filepath.Join(repo, "config/packaging/sysusers.conf")))) {
		if !strings.HasPrefix(l, "#") {
			line = l
		}
	}
	if !strings.Contains(string(readFile(t, filepath.Join(repo, "config/packaging/scripts/preinstall.rpm.sh"))), "\n"+line) {
		t.Errorf("preinstall.rpm.sh does not create the user as sysusers.conf does (%q)", line)
	}
}

// TestRpmInstallsIntoARoot installs the .rpm with rpm into a root of its
// own, running its %pre and %post as rpm would on a first install (rpm runs
// scriptlets chrooted; the root has no shell, so they run outside it with
// DPKG_ROOT, which they honour): the result is the .deb's.
func TestRpmInstallsIntoARoot(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	scriptlet := func(tag string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "sh", "-s", "1") // 1: the first version installed
		cmd.Stdin = strings.NewReader(rpmQuery(t, "--qf", "%{"+tag+"}"))
		cmd.Env = append(os.Environ(), "DPKG_ROOT="+r.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%%{%s}: %v\n%s", tag, err, out)
		}
	}
	scriptlet("PREIN")
	out, err := exec.CommandContext(t.Context(), "rpm", "--root="+r.dir, "-i", "--nodeps", "--noscripts", rpm).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm -i: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "does not exist") {
		t.Errorf("rpm unpacked for a user or group %%pre did not create:\n%s", out)
	}
	scriptlet("POSTIN")
	for _, e := range append(packaged, dataDir) {
		r.check(e)
	}
}

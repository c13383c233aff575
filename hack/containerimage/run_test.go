package containerimage_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pomerium-console/pomerium-console/hack/containerimage"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/wait"
)

// TestRuns unpacks the image of the machine's own platform and runs the
// binary from it: `version`, and `serve` until /readyz answers. As root,
// serve runs as a container would start it: chrooted into the unpacked
// file system, as the image's user, with its entrypoint, environment and
// working directory, keeping its store in the image's data directory.
// Without root it runs unconfined with a data directory of its own, which
// checks the binary but not the user and the file system.
func TestRuns(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the image's binary runs on Linux only")
	}
	img := platformImage(t, runtime.GOARCH)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	rootfs := t.TempDir()
	// The root of a container's file system is world-readable; the user
	// would not reach /pomerium-console otherwise.
	if err := os.Chmod(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	unpack(t, img, rootfs)
	binary := filepath.Join(rootfs, "pomerium-console")

	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	want := fmt.Sprintf("pomerium-console %s (commit unknown, %s, linux/%s)\n", testSpec(t).Version, runtime.Version(), runtime.GOARCH)
	if string(out) != want {
		t.Errorf("version printed %q, want %q", out, want)
	}

	metrics, web := loopback.FreeAddr(t), loopback.FreeAddr(t)
	args := []string{"--bind-addr", web, "--grpc-addr", loopback.FreeAddr(t), "--metrics-addr", metrics}
	var cmd *exec.Cmd
	dataDir := filepath.Join(rootfs, containerimage.DataDir)
	if os.Geteuid() == 0 {
		cmd = exec.Command(cf.Config.Entrypoint[0], append(cf.Config.Entrypoint[1:], args...)...)
		cmd.Env, cmd.Dir = cf.Config.Env, cf.Config.WorkingDir
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Chroot:     rootfs,
			Credential: &syscall.Credential{Uid: 65532, Gid: 65532, Groups: []uint32{}},
			Pdeathsig:  syscall.SIGKILL,
		}
	} else {
		t.Log("not root: serve runs unconfined, not chrooted as user 65532")
		dataDir = t.TempDir()
		cmd = exec.Command(binary, append([]string{"serve", "--data-dir", dataDir}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	started := time.Now()
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill() // a failed test left it running; reaped below
			<-exited
		}
		if t.Failed() {
			t.Logf("serve's output:\n%s", log.String())
		}
	})

	// /readyz answers once the store is open, before the API and the web
	// console listen, and a SIGTERM in between makes serve exit 1: the test
	// waits for the web console too.
	probe := &http.Client{Timeout: 2 * time.Second}
	wait.Until(t, "serve ready (/readyz) and the web console answering", time.Minute, func() (bool, string) {
		select {
		case <-exited:
			t.Fatalf("serve exited during start-up: %v", exitErr)
		default:
		}
		for _, url := range []string{"http://" + metrics + "/readyz", "http://" + web + "/"} {
			res, err := probe.Get(url)
			if err != nil {
				return false, err.Error()
			}
			_ = res.Body.Close() // the status says it all
			if res.StatusCode != http.StatusOK {
				return false, url + ": " + res.Status
			}
		}
		return true, ""
	})
	t.Logf("serve answered /readyz and the web console %s after it started", time.Since(started).Round(time.Millisecond))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("serve stopped with %v", exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30s of SIGTERM")
	}
	if os.Geteuid() == 0 {
		checkOwnedByUser(t, dataDir)
	}
}

// checkOwnedByUser wants the store serve made in dir, every file of it
// owned by the image's user.
func checkOwnedByUser(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		if st.Uid != 65532 || st.Gid != 65532 {
			t.Errorf("%s owned by %d:%d, want 65532:65532", p, st.Uid, st.Gid)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("serve wrote nothing into %s", dir)
	}
	t.Logf("serve ran chrooted as 65532 and left %d files, all its own, in %s", n, containerimage.DataDir)
}

// unpack lays img's layers out under dir with their modes and, as root,
// their owners. The image holds only directories and regular files.
func unpack(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	var errs []error
	walkImage(t, img, func(h *tar.Header, data []byte) {
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			errs = append(errs, fmt.Errorf("%s: path outside the image", h.Name))
			return
		}
		p := filepath.Join(dir, name)
		mode := h.FileInfo().Mode()
		switch h.Typeflag {
		case tar.TypeDir:
			errs = append(errs, os.MkdirAll(p, 0o700))
		case tar.TypeReg:
			errs = append(errs, os.WriteFile(p, data, 0o600))
		default:
			errs = append(errs, fmt.Errorf("%s: unexpected type %q", h.Name, h.Typeflag))
			return
		}
		if os.Geteuid() == 0 {
			errs = append(errs, os.Lchown(p, h.Uid, h.Gid))
		}
		// After chown, which clears set-id bits; the sticky bit survives.
		errs = append(errs, os.Chmod(p, mode.Perm()|mode&(fs.ModeSticky|fs.ModeSetuid|fs.ModeSetgid)))
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(strings.TrimSpace(err.Error()))
	}
}

package packaging

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/wait"
)

// startTimeout bounds the wait for READY=1 (the unit allows 5 minutes; a
// fresh embedded store and databroker take well under a second).
const startTimeout = time.Minute

// notifySocket is the service manager's end of the sd_notify protocol: an
// abstract datagram socket (no path to reach from inside the root) that
// collects every notification.
type notifySocket struct {
	name string // as NOTIFY_SOCKET names it
	got  chan string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{name: "@pomerium-console-packaging-" + rand.Text(), got: make(chan string, 1024)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // ends the reader below
	go func() {
		defer close(n.got)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.got <- string(buf[:k])
		}
	}()
	return n
}

// await returns the first notification holding the assignment want (a
// line of it), failing t when none comes before the deadline or the
// process ends.
func (n *notifySocket) await(t *testing.T, want string, within time.Duration, exited <-chan struct{}) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case s := <-n.got:
			for _, line := range strings.Split(s, "\n") {
				if line == want {
					return s
				}
			}
		case <-exited:
			t.Fatalf("the console exited before it sent %s", want)
		case <-deadline:
			t.Fatalf("no %s within %s", want, within)
		}
	}
}

// TestServiceStartsAsTheUnitDoes installs the .deb into a root and starts
// the console there as the unit does: the ExecStart command line, as the
// unit's User and Group, in its WorkingDirectory, with the packaged config
// and the data directory the package made, under a NOTIFY_SOCKET and a
// watchdog as systemd sets them. Only the listen addresses differ (set by
// environment, which the config file gives way to), so that the test takes
// free ports on a shared machine.
func TestServiceStartsAsTheUnitDoes(t *testing.T) {
	t.Parallel()
	r := installed(t)
	u := parseUnit(t, r.path(unitPath))
	argv := strings.Fields(u.one(t, "ExecStart"))
	if strings.ContainsAny(u.one(t, "ExecStart"), `"'%$\`) {
		t.Fatalf("ExecStart %q needs systemd's quoting or specifiers, which this test does not apply", u.one(t, "ExecStart"))
	}
	a, ok := r.user(u.one(t, "User"))
	if !ok {
		t.Fatalf("the unit's User %s is not in the root", u.one(t, "User"))
	}
	gid := r.group(u.one(t, "Group"))
	notify := listenNotify(t)
	metrics := loopback.FreeAddr(t)

	logPath := filepath.Join(t.TempDir(), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() //nolint:errcheck // written by the console; read below
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = u.one(t, "WorkingDirectory")
	cmd.Env = []string{
		"NOTIFY_SOCKET=" + notify.name,
		"WATCHDOG_USEC=1000000", // pings every half second
		"BIND_ADDR=" + loopback.FreeAddr(t),
		"GRPC_ADDR=" + loopback.FreeAddr(t),
		"METRICS_ADDR=" + metrics,
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     r.dir,
		Credential: &syscall.Credential{Uid: a.uid, Gid: gid, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %q: %v", argv, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // once the test stopped it, this finds it gone
		<-exited
		if t.Failed() {
			t.Logf("console log:\n%s", readFile(t, logPath))
		}
	})

	ready := notify.await(t, "READY=1", startTimeout, exited)
	if !strings.Contains(ready, "\nSTATUS=in sync with store version ") {
		t.Errorf("READY came with %q, want the loop's status in sync", ready)
	}
	notify.await(t, "WATCHDOG=1", 10*time.Second, exited)
	wait.Until(t, "/readyz answers", 30*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metrics+"/readyz", nil) // a valid constant request
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close() //nolint:errcheck // read only
		return resp.StatusCode == http.StatusOK, resp.Status
	})

	// It runs as the service user, and keeps its store where the package
	// made room for it.
	status := string(readFile(t, fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)))
	for _, want := range []string{
		fmt.Sprintf("Uid:\t%[1]d\t%[1]d\t%[1]d\t%[1]d\n", a.uid),
		fmt.Sprintf("Gid:\t%[1]d\t%[1]d\t%[1]d\t%[1]d\n", gid),
	} {
		if !strings.Contains(status, want) {
			t.Errorf("/proc/%d/status lacks %q:\n%s", cmd.Process.Pid, want, status)
		}
	}
	for _, name := range []string{"console.db", "database_encryption_key"} {
		fi, err := os.Stat(r.path(dataDir.path + "/" + name))
		if err != nil {
			t.Errorf("the store is not in the data directory: %v", err)
			continue
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != a.uid {
			t.Errorf("%s is owned by uid %d, want the service user's %d", name, st.Uid, a.uid)
		}
	}

	// systemd stops it with SIGTERM and waits TimeoutStopSec.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notify.await(t, "STOPPING=1", 30*time.Second, nil)
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("the console exited with %v after SIGTERM, want 0 (systemd counts anything else a failure)", waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Error("the console did not exit within TimeoutStopSec after SIGTERM")
	}
}

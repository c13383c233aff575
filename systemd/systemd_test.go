package systemd

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
)

// within bounds every wait of these tests for a notification.
const within = 10 * time.Second

// managerSocket is the service manager's end: a datagram socket that
// collects every notification sent to it.
type managerSocket struct {
	path string // as NOTIFY_SOCKET names it
	got  chan string
}

// listen opens the manager's socket: abstract, or a file in a directory of
// its own (socket paths are limited to 108 bytes, which t.TempDir's long
// names can exceed).
func listen(t *testing.T, abstract bool) *managerSocket {
	t.Helper()
	var path string
	if abstract {
		path = "@pomerium-console-test-" + rand.Text()
	} else {
		dir, err := os.MkdirTemp("", "sd")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) }) // a temporary directory
		path = filepath.Join(dir, "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // ends the reader below
	m := &managerSocket{path: path, got: make(chan string, 1024)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(m.got)
				return
			}
			m.got <- string(buf[:n])
		}
	}()
	return m
}

// next returns the next notification, failing t when none arrives in time.
func (m *managerSocket) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case s, ok := <-m.got:
		if !ok {
			t.Fatalf("waiting for %s: socket closed", what)
		}
		return s
	case <-time.After(within):
		t.Fatalf("timed out waiting for %s", what)
	}
	return ""
}

// until returns the first notification that contains want, and the ones
// before it.
func (m *managerSocket) until(t *testing.T, want string) (string, []string) {
	t.Helper()
	var before []string
	for {
		s := m.next(t, want)
		if strings.Contains(s, want) {
			return s, before
		}
		before = append(before, s)
	}
}

// progress is a loop as Run sees it. The real loop's liveness is tested in
// package reconcile, and the two together by the package test, which runs
// the installed console under a socket of its own.
type progress struct {
	ready  chan struct{}
	mu     sync.Mutex
	since  time.Time
	busy   bool
	status string
	asked  atomic.Int32 // calls of BusySince
}

func newProgress() *progress { return &progress{ready: make(chan struct{}), status: "starting"} }

func (p *progress) Ready() <-chan struct{} { return p.ready }

func (p *progress) BusySince() (time.Time, bool) {
	p.asked.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.since, p.busy
}

func (p *progress) Status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

func (p *progress) set(busy bool, since time.Time, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy, p.since, p.status = busy, since, status
}

// run runs Run until the test ends and waits for it to return.
func run(t *testing.T, m *managerSocket, watchdog time.Duration, p *progress) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{Notifier: NewNotifier(m.path), Watchdog: watchdog, StatusEvery: 10 * time.Millisecond, Logger: testr.New(t)}, p)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// started runs Run for a loop that is ready, busy since since or idle,
// with status; it returns once READY arrived with the status on one line.
func started(t *testing.T, abstract bool, watchdog time.Duration, busy bool, since time.Time, status string) (*managerSocket, *progress, context.CancelFunc) {
	t.Helper()
	m := listen(t, abstract)
	p := newProgress()
	p.set(busy, since, status)
	close(p.ready)
	cancel := run(t, m, watchdog, p)
	s := m.next(t, "READY")
	if want := "READY=1\nSTATUS=" + oneLine(status); s != want || strings.Count(s, "\n") != 1 {
		t.Fatalf("got %q, want %q (two lines) first", s, want)
	}
	return m, p, cancel
}

func TestReadyOnlyOnceTheLoopIs(t *testing.T) {
	t.Parallel()
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			t.Parallel()
			m := listen(t, abstract)
			p := newProgress()
			run(t, m, 40*time.Millisecond, p)
			// The status shows while the console starts; pings before
			// readiness are ignored by the manager, and here show that Run
			// runs and has not said READY.
			if s := m.next(t, "the first status"); s != "STATUS=starting" {
				t.Fatalf("got %q, want STATUS=starting", s)
			}
			for range 3 {
				if s := m.next(t, "a ping before readiness"); s != "WATCHDOG=1" {
					t.Fatalf("before the loop is ready got %q, want only WATCHDOG=1", s)
				}
			}
			p.set(false, time.Time{}, "in sync with store version 7")
			close(p.ready)
			s, before := m.until(t, "READY=1")
			if s != "READY=1\nSTATUS=in sync with store version 7" {
				t.Errorf("got %q, want READY=1 and the status", s)
			}
			for _, b := range before {
				if b != "WATCHDOG=1" && b != "STATUS=in sync with store version 7" {
					t.Errorf("before READY got %q", b)
				}
			}
			m.until(t, "WATCHDOG=1")
		})
	}
}

func TestNoPingsWhileTheLoopIsStuck(t *testing.T) {
	t.Parallel()
	m, p, _ := started(t, true, 40*time.Millisecond, true, time.Now().Add(-time.Hour), "reconciling")
	// Five ticks that asked the loop and found it stuck for an hour.
	deadline := time.Now().Add(within)
	for p.asked.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not look at the loop")
		}
		select {
		case s := <-m.got:
			t.Fatalf("got %q while the loop is stuck", s)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// A step that has not lasted a whole watchdog timeout is progress.
	p.set(true, time.Now(), "reconciling again")
	if s, before := m.until(t, "WATCHDOG=1"); s != "WATCHDOG=1" || len(before) != 1 || before[0] != "STATUS=reconciling again" {
		t.Errorf("after the loop moved on got %q after %q, want STATUS then WATCHDOG=1", s, before)
	}
}

func TestFailingLoopStillPings(t *testing.T) {
	t.Parallel()
	// The status of a joined error spans lines; the notification's does not.
	m, _, _ := started(t, true, 40*time.Millisecond, false, time.Time{}, "cannot take the writer lease: rpc error:\nconnection refused")
	m.until(t, "WATCHDOG=1")
}

func TestStatusChangesAndStopping(t *testing.T) {
	t.Parallel()
	m, p, cancel := started(t, false, 0, false, time.Time{}, "starting")
	p.set(false, time.Time{}, "standing by: another instance holds the writer lease")
	if s := m.next(t, "the new status"); s != "STATUS=standing by: another instance holds the writer lease" {
		t.Fatalf("got %q, want the new status (and no pings: no watchdog asked for)", s)
	}
	cancel()
	if s := m.next(t, "STOPPING"); s != "STOPPING=1" {
		t.Fatalf("got %q, want STOPPING=1", s)
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want time.Duration
		ok   bool
		err  bool
	}{
		{name: "none asked"},
		{name: "asked", env: map[string]string{"WATCHDOG_USEC": "120000000"}, want: 2 * time.Minute, ok: true},
		{name: "asked of this pid", env: map[string]string{"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "42"}, want: time.Millisecond, ok: true},
		{name: "asked of another pid", env: map[string]string{"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "43"}},
		{name: "not a number", env: map[string]string{"WATCHDOG_USEC": "soon"}, err: true},
		{name: "zero", env: map[string]string{"WATCHDOG_USEC": "0"}, err: true},
		{name: "pid not a number", env: map[string]string{"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "me"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := watchdogInterval(func(k string) string { return tc.env[k] }, 42)
			if got != tc.want || ok != tc.ok || (err != nil) != tc.err {
				t.Errorf("got %v, %v, %v; want %v, %v, error %v", got, ok, err, tc.want, tc.ok, tc.err)
			}
		})
	}
}

package pomeriumtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// readyTimeout is generous because a loaded CI machine with two cores
	// may start several test binaries at once; a healthy start takes well
	// under a second.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the wait for a signalled dbserver before SIGKILL.
	stopTimeout = 10 * time.Second
	// logTailBytes is how much of the server log goes into an error.
	logTailBytes = 4 << 10
	// secretEnv is how both programs take the shared secret: kept out of
	// their command lines, which other users of the machine can read.
	secretEnv = "SHARED_SECRET"
)

// Databroker is one dbserver process with in-memory storage, listening on
// loopback with a shared secret of its own.
type Databroker struct {
	bins   Binaries
	dir    string // its log, removed by Stop
	secret []byte

	// exclusive serializes the tests that use the databroker: see
	// [Databroker.Exclusive].
	exclusive sync.Mutex

	mu   sync.Mutex
	addr string
	proc *process
}

// Start starts a dbserver on a free loopback port with a random shared
// secret and returns once it listens. The error wraps [ErrNoBinaries] when
// the programs are missing.
func Start(ctx context.Context) (*Databroker, error) {
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pomerium-console-dbserver-")
	if err != nil {
		return nil, fmt.Errorf("dbserver: %w", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (Go 1.24+)
	d := &Databroker{bins: bins, dir: dir, secret: secret}
	p, addr, err := d.launch(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	d.proc, d.addr = p, addr
	return d, nil
}

// Addr is the HOST:PORT the databroker listens on; it stays the same across
// [Databroker.Restart].
func (d *Databroker) Addr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addr
}

// URL is the databroker_service_url that reaches it.
func (d *Databroker) URL() string { return "http://" + d.Addr() }

// SharedSecret is the decoded shared secret calls must be signed with.
func (d *Databroker) SharedSecret() []byte { return append([]byte(nil), d.secret...) }

// SharedSecretBase64 is the shared_secret as Pomerium's configuration takes it.
func (d *Databroker) SharedSecretBase64() string { return base64.StdEncoding.EncodeToString(d.secret) }

// Stop stops the databroker with SIGTERM, which it answers by exiting 0,
// and removes its log. Anything else is an error.
func (d *Databroker) Stop() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.proc.stop()
	return errors.Join(err, os.RemoveAll(d.dir))
}

// Restart stops the databroker and starts it again on the same address:
// with in-memory storage it comes back empty under a new server version, as
// Pomerium's databroker does when its process restarts. Callers must hold
// the databroker exclusively.
func (d *Databroker) Restart(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.proc.stop(); err != nil {
		return err
	}
	p, _, err := d.launch(ctx, d.addr)
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	d.proc = p
	return nil
}

// process is one run of dbserver.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited and been reaped
	err  error         // what Wait returned, once done is closed
}

// launch starts dbserver on addr and waits for its "listening on" line.
func (d *Databroker) launch(ctx context.Context, addr string) (*process, string, error) {
	logPath := filepath.Join(d.dir, "dbserver.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("dbserver log: %w", err)
	}
	defer logFile.Close() //nolint:errcheck // the child has its own descriptor
	logStart, err := logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, "", fmt.Errorf("dbserver log: %w", err)
	}
	// context.Background: the server outlives the ctx of the caller, often
	// a single test's; ctx only bounds the wait for it to listen.
	cmd := exec.CommandContext(context.Background(), d.bins.Dbserver, "-addr", addr, "-storage", "memory", "-log-level", "warn")
	cmd.Env = append(os.Environ(), secretEnv+"="+d.SharedSecretBase64())
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("dbserver: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start dbserver: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
				listening <- a
			}
		}
		// Drained to the end, so that the process never blocks on a full
		// pipe, and before Wait, which closes the pipe.
		p.err = cmd.Wait()
		close(p.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	select {
	case a := <-listening:
		return p, a, nil
	case <-p.done:
		return nil, "", fmt.Errorf("dbserver exited during start-up (%v); its log:\n%s", p.err, readTail(logPath, logStart))
	case <-ctx.Done():
		stopErr := p.stop()
		return nil, "", errors.Join(fmt.Errorf("dbserver not listening: %w; its log:\n%s", ctx.Err(), readTail(logPath, logStart)), stopErr)
	}
}

// stop sends SIGTERM and waits for the exit, killing a process that does
// not exit in time so that a wedged server cannot hang the test binary.
func (p *process) stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("dbserver had already exited: %v", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal dbserver: %w", err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("dbserver stopped with %w", p.err)
		}
		return nil
	case <-timer.C:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill dbserver: %w", err)
	}
	<-p.done
	return fmt.Errorf("dbserver did not exit within %v of SIGTERM and was killed", stopTimeout)
}

// readTail returns the end of what the log gained since offset.
func readTail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	if offset < int64(len(b)) {
		b = b[offset:]
	} else {
		b = nil
	}
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
	}
	return string(b)
}

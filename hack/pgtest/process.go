package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// readyTimeout is generous because a loaded CI machine with two cores may
	// run several package binaries that each start a server at once; a
	// healthy start takes well under a second.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the wait for a signalled postmaster before SIGKILL.
	stopTimeout = 10 * time.Second
	// pollInterval is how often readiness is probed.
	pollInterval = 10 * time.Millisecond
	// logTailBytes is how much of the server log goes into an error: enough for
	// the FATAL line and the context before it.
	logTailBytes = 4 << 10
)

// errAddrInUse means another process took the port between our probe and
// postgres binding it; the caller picks another port.
var errAddrInUse = errors.New("port already in use")

// postmaster is one run of the postgres server process.
type postmaster struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
}

// launch starts postgres on s.dataDir and s.port and returns once it accepts
// connections. The process outlives ctx, which only bounds the wait.
func (s *Server) launch(ctx context.Context) (*postmaster, error) {
	logStart, err := logSize(s.logPath)
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open server log: %w", err)
	}
	// The child keeps its own copy of the descriptor.
	defer logFile.Close() //nolint:errcheck // nothing was written through this descriptor

	args := []string{
		"-D", s.dataDir,
		"-p", fmt.Sprint(s.port),
		// The socket goes in a directory of our own: the default one may not
		// exist or may belong to another server.
		"-k", s.tmpDir,
		"-c", "listen_addresses=127.0.0.1",
		// Parallel tests of one package share the server, and each pgx pool
		// opens several connections.
		"-c", "max_connections=200",
	}
	for _, setting := range durability(s.opts.Fsync) {
		args = append(args, "-c", setting)
	}
	// context.Background: the server must outlive the ctx of the caller of
	// Start, which is often a single test's.
	cmd := s.own.command(context.Background(), s.tmpDir, s.bins.postgres(), args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p := &postmaster{cmd: cmd, done: make(chan struct{})}
	go func() {
		// Wait's error only repeats cmd.ProcessState, which is what gets
		// reported; the outputs are files, so there is no copy to fail.
		_ = cmd.Wait() //nolint:errcheck
		close(p.done)
	}()

	if err := p.waitReady(ctx, s.url, s.dataDir); err != nil {
		stopErr := p.stop(syscall.SIGQUIT)
		if errors.Is(err, errAddrInUse) {
			return nil, errAddrInUse
		}
		logTail := readTail(s.logPath, logStart)
		if containsAddrInUse(logTail) {
			return nil, errAddrInUse
		}
		return nil, errors.Join(fmt.Errorf("%w; server log:\n%s", err, logTail), stopErr)
	}
	return p, nil
}

// durability returns the settings that trade crash safety for speed. With
// them off a test database behaves the same except after a power cut, which a
// throwaway server never sees.
func durability(fsync bool) []string {
	v := "off"
	if fsync {
		v = "on"
	}
	return []string{"fsync=" + v, "synchronous_commit=" + v, "full_page_writes=" + v}
}

// waitReady polls with real connections, because a listening socket is not
// yet a server that accepts queries: postgres answers "the database system
// is starting up" until recovery is done.
//
// The server that answers must also be ours: if another process took the
// port, ours exits, but a poll may reach the other one first.
func (p *postmaster) waitReady(ctx context.Context, url, dataDir string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse server url: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			var got string
			err = conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&got)
			closeErr := conn.Close(ctx)
			switch {
			case err != nil:
				return fmt.Errorf("identify server: %w", err)
			case got != dataDir:
				return fmt.Errorf("%w: port answered by the server of %s", errAddrInUse, got)
			default:
				return closeErr
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during start-up (%v)", p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w (last attempt: %v)", ctx.Err(), err)
		case <-ticker.C:
		}
	}
}

// stop signals the postmaster and waits for it to exit, killing it if it does
// not exit in time so that a wedged server cannot hang the test binary.
func (p *postmaster) stop(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres: %w", err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postgres: %w", err)
	}
	<-p.done
	return fmt.Errorf("postgres did not exit within %v of %v and was killed", stopTimeout, sig)
}

func logSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stat server log: %w", err)
	}
	return fi.Size(), nil
}

// readTail returns the end of what the log gained since offset, so that an
// error after a Restart does not quote the previous run.
func readTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(server log unreadable: %v)", err)
	}
	defer f.Close() //nolint:errcheck // read-only
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(server log unreadable: %v)", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(server log unreadable: %v)", err)
	}
	return tail(b, logTailBytes)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = append([]byte("..."), b[len(b)-n:]...)
	}
	return string(b)
}

func containsAddrInUse(log string) bool {
	// The wording is the C library's strerror(EADDRINUSE), in English because
	// the template's lc_messages is C.UTF-8.
	return strings.Contains(log, "Address already in use")
}

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5"

	dirowner "github.com/pomerium-console/pomerium-console/hack/internal/owner"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
)

// Environment variables read by this package.
const (
	// URLEnv names an existing server to use instead of starting one, e.g.
	// postgres://postgres@localhost:5432/postgres?sslmode=disable. Its user
	// must be allowed to create databases.
	URLEnv = "POMERIUM_CONSOLE_TEST_DATABASE_URL"
	// SkipEnv set to 1 lets [Main] run a package without PostgreSQL when the
	// binaries are missing; tests that need the server then skip.
	SkipEnv = "POMERIUM_CONSOLE_SKIP_POSTGRES"
)

// startAttempts bounds retries when another process takes our port between
// probing it and postgres binding it.
const startAttempts = 3

// Options tune a server started by [StartWithOptions].
type Options struct {
	// Fsync makes commits durable as in production (fsync,
	// synchronous_commit and full_page_writes on). Off by default because it
	// makes every commit wait for the disk; benchmarks that report write
	// throughput should run once with it on and say which numbers are which.
	Fsync bool
}

// Server is a PostgreSQL server for tests. Its methods are safe for
// concurrent use.
type Server struct {
	url      string
	external bool // from URLEnv: not ours to stop or restart

	opts    Options
	bins    binaries
	own     owner
	port    int
	tmpDir  string // socket dir; holds dataDir and logPath
	dataDir string
	logPath string

	mu      sync.Mutex
	proc    *postmaster
	stopped bool
}

// Start starts a server with default [Options], or connects to the one named
// by POMERIUM_CONSOLE_TEST_DATABASE_URL if that is set.
func Start(ctx context.Context) (*Server, error) {
	return StartWithOptions(ctx, Options{})
}

// StartWithOptions is [Start] with options. The options are ignored for a
// server named by POMERIUM_CONSOLE_TEST_DATABASE_URL, which is configured by
// whoever runs it.
func StartWithOptions(ctx context.Context, opts Options) (*Server, error) {
	if url := os.Getenv(URLEnv); url != "" {
		return useExternal(ctx, url)
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	own, err := serverOwner()
	if err != nil {
		return nil, err
	}
	sweepStale()
	template, err := templateDir(ctx, bins, own)
	if err != nil {
		return nil, err
	}
	tmpDir, err := own.tempDir(serverBase(opts), serverDirPrefix+"*")
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		bins:    bins,
		own:     own,
		tmpDir:  tmpDir,
		dataDir: filepath.Join(tmpDir, "data"),
		logPath: filepath.Join(tmpDir, "postgres.log"),
	}
	if err := s.prepare(ctx, template); err != nil {
		return nil, withRemoved(err, tmpDir)
	}
	for attempt := 1; ; attempt++ {
		if s.port, err = loopback.FreePort(); err != nil {
			return nil, withRemoved(err, tmpDir)
		}
		s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
		s.proc, err = s.launch(ctx)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errAddrInUse) || attempt == startAttempts {
			return nil, withRemoved(fmt.Errorf("start postgres %s in %s: %w", bins.version, tmpDir, err), tmpDir)
		}
	}
}

// prepare copies the template into place and records which process owns the
// directory, so that a later Start can remove it if this process dies.
func (s *Server) prepare(ctx context.Context, template string) error {
	// cp -a keeps the owner and the 0700 mode that postgres insists on.
	if out, err := exec.CommandContext(ctx, "cp", "-a", template, s.dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("copy template: %w: %s", err, out)
	}
	return dirowner.Write(s.tmpDir)
}

func useExternal(ctx context.Context, url string) (*Server, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", URLEnv, err)
	}
	if err := conn.Close(ctx); err != nil {
		return nil, fmt.Errorf("close connection to %s: %w", URLEnv, err)
	}
	return &Server{url: url, external: true}, nil
}

// URL is the connection URL of the server's postgres database as the
// postgres superuser.
func (s *Server) URL() string { return s.url }

// Stop stops the server and removes its files. It is a no-op for a server
// named by POMERIUM_CONSOLE_TEST_DATABASE_URL, and for a stopped server.
func (s *Server) Stop() error {
	if s.external {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	// SIGQUIT is postgres's immediate shutdown: nothing is flushed, which is
	// right for data that is about to be deleted.
	err := s.proc.stop(syscall.SIGQUIT)
	return errors.Join(err, os.RemoveAll(s.tmpDir))
}

// Restart stops the server and starts it again on the same data directory
// and port. Every client connection is closed, as when a production server
// restarts, and committed data survives.
func (s *Server) Restart(ctx context.Context) error {
	// SIGINT is postgres's fast shutdown, which checkpoints: with
	// synchronous_commit off, an immediate shutdown could lose the last
	// commits and make a test of durability fail for the wrong reason.
	return s.restart(ctx, syscall.SIGINT)
}

// RestartImmediate is Restart after an immediate shutdown (SIGQUIT): the
// postmaster stops its backends without a checkpoint, as after a crash,
// and the server runs crash recovery from its log when it starts again.
// Acknowledged commits survive only where they were flushed: on a server
// started with [Options.Fsync] (synchronous_commit on), all of them.
func (s *Server) RestartImmediate(ctx context.Context) error {
	return s.restart(ctx, syscall.SIGQUIT)
}

func (s *Server) restart(ctx context.Context, sig syscall.Signal) error {
	if s.external {
		return fmt.Errorf("restart: the server at %s belongs to whoever runs it", URLEnv)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("restart: server is stopped")
	}
	if err := s.proc.stop(sig); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	proc, err := s.launch(ctx)
	if err != nil {
		// s.proc keeps the exited process, so Stop still removes the files.
		return fmt.Errorf("restart on port %d: %w", s.port, err)
	}
	s.proc = proc
	return nil
}

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// Main starts one server for a whole test package, stores it in *s, runs the
// tests and stops the server. Use it from TestMain:
//
//	var srv *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }
//
// If the PostgreSQL binaries are missing, the package fails: CI must never
// pass by running no database tests. POMERIUM_CONSOLE_SKIP_POSTGRES=1 turns
// that into running the tests with *s left nil, on which
// [Server.NewTestDatabase] skips the calling test; a test that uses *s in
// another way must check for nil itself. Any other start error fails the
// package regardless.
func Main(m *testing.M, s **Server) int {
	// Bounded so that a wedged initdb fails the package instead of running
	// into go test's own timeout, whose panic would say nothing about why.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := Start(ctx)
	cancel()
	if skipAllowed(err) {
		fmt.Fprintf(os.Stderr, "pgtest: %v; %s=1, so tests that need PostgreSQL skip\n", err, SkipEnv)
		return m.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if errors.Is(err, ErrNoBinaries) {
			fmt.Fprintf(os.Stderr, "pgtest: set %s to use a running server, or %s=1 to skip\n", URLEnv, SkipEnv)
		}
		return 1
	}
	*s = srv
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stop server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// StartForTest starts a server for t alone and stops it when t ends. It is
// for tests that stop or restart their server, which would break other tests
// sharing one. It skips t where [Main] would let tests skip.
//
// With POMERIUM_CONSOLE_TEST_DATABASE_URL set it returns that shared server,
// which cannot be restarted: such tests should skip when [URLEnv] is set.
func StartForTest(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartWithOptions(t.Context(), opts)
	if skipAllowed(err) {
		t.Skipf("%v; %s=1", err, SkipEnv)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
	})
	return s
}

// skipAllowed reports whether err may skip tests rather than fail them: only
// missing binaries, and only when asked, because any other start error is a
// bug that a skip would hide.
func skipAllowed(err error) bool {
	return errors.Is(err, ErrNoBinaries) && os.Getenv(SkipEnv) == "1"
}

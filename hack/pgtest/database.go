package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxIdentifier is PostgreSQL's NAMEDATALEN-1. Longer names are truncated
// without an error, so two long test names could silently share a database.
const maxIdentifier = 63

// NewDatabase creates an empty database called name and returns a URL that
// connects to it as the superuser. It fails if the database exists.
func (s *Server) NewDatabase(ctx context.Context, name string) (string, error) {
	if name == "" || len(name) > maxIdentifier {
		return "", fmt.Errorf("new database %q: name must be 1 to %d bytes", name, maxIdentifier)
	}
	dbURL, err := s.databaseURL(name)
	if err != nil {
		return "", err
	}
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("new database %q: %w", name, err)
	}
	return dbURL, nil
}

// NewTestDatabase creates a database for t alone and returns its URL; t
// fails if that is not possible. The name is derived from t.Name() so that
// the server log and pg_stat_activity show which test a query came from.
//
// On a nil Server, which [Main] leaves when POMERIUM_CONSOLE_SKIP_POSTGRES
// lets a package run without PostgreSQL, it skips t.
//
// A database on a server named by POMERIUM_CONSOLE_TEST_DATABASE_URL is
// dropped when t ends, since that server outlives the test binary; a server
// of our own is deleted whole by Stop.
func (s *Server) NewTestDatabase(t testing.TB) string {
	t.Helper()
	if s == nil {
		t.Skipf("no PostgreSQL server: %s=1", SkipEnv)
	}
	name, err := testDatabaseName(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	dbURL, err := s.NewDatabase(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if s.external {
		t.Cleanup(func() {
			// t.Context() is already done when cleanups run.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// FORCE: a pool the test forgot to close must not keep the
			// database on a shared server forever.
			if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				t.Errorf("drop database %q: %v", name, err)
			}
		})
	}
	return dbURL
}

// testDatabaseName makes a name that is a valid unquoted identifier, fits in
// maxIdentifier, and is unique even across test binaries that share a server.
func testDatabaseName(testName string) (string, error) {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("database name suffix: %w", err)
	}
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(suffix))
	return b.String(), nil
}

// TerminateBackends closes every client connection to database, or to every
// database if database is "", except the one it uses itself, and returns how
// many it closed. It returns once the backends have exited, so a test can
// then wait for its client to notice without racing the server.
//
// On a server named by POMERIUM_CONSOLE_TEST_DATABASE_URL, "" also closes
// connections of other test binaries; pass a database name there.
func (s *Server) TerminateBackends(ctx context.Context, database string) (int, error) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return 0, fmt.Errorf("terminate backends: %w", err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // the connection is discarded either way
	// The 5 s timeout makes pg_terminate_backend wait for each backend to
	// exit (PostgreSQL 14 and later); false means one outlived it.
	rows, err := conn.Query(ctx, `
		SELECT pg_terminate_backend(pid, 5000)
		FROM pg_stat_activity
		WHERE backend_type = 'client backend'
		  AND pid <> pg_backend_pid()
		  AND ($1::text = '' OR datname = $1::text)`, database)
	if err != nil {
		return 0, fmt.Errorf("terminate backends: %w", err)
	}
	results, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		return 0, fmt.Errorf("terminate backends: %w", err)
	}
	n := 0
	for _, ok := range results {
		if !ok {
			return n, fmt.Errorf("terminate backends: a backend was still running after 5s")
		}
		n++
	}
	return n, nil
}

// exec runs one statement on the postgres database. CREATE and DROP DATABASE
// cannot run inside a transaction, so a plain connection is used.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sql)
	if closeErr := conn.Close(context.Background()); err == nil {
		err = closeErr
	}
	return err
}

// databaseURL is the server URL with its database swapped for name, keeping
// the user, host and parameters of POMERIUM_CONSOLE_TEST_DATABASE_URL.
func (s *Server) databaseURL(name string) (string, error) {
	u, err := url.Parse(s.url)
	if err != nil {
		return "", fmt.Errorf("parse server url: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("server url: scheme %q, want postgres:// (keyword=value strings are not supported)", u.Scheme)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

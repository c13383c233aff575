package pgtest_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
)

// srv is shared by the tests that only need databases; the ones that stop or
// restart a server start their own so as not to disturb the others.
var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) //nolint:errcheck // a test may have broken it on purpose
	return conn
}

// ownServer starts a server that only this test uses, because stopping or
// restarting the shared one would break tests running in parallel.
func ownServer(t *testing.T, opts pgtest.Options) *pgtest.Server {
	t.Helper()
	if os.Getenv(pgtest.URLEnv) != "" {
		t.Skipf("needs a server it may stop, and %s names a shared one", pgtest.URLEnv)
	}
	start := time.Now()
	s := pgtest.StartForTest(t, opts)
	t.Logf("started in %v", time.Since(start))
	return s
}

func TestDatabasesAreSeparate(t *testing.T) {
	t.Parallel()
	urlA, urlB := srv.NewTestDatabase(t), srv.NewTestDatabase(t)
	if urlA == urlB {
		t.Fatalf("two databases share the URL %s", urlA)
	}
	a, b := connect(t, urlA), connect(t, urlB)
	for _, c := range []struct {
		conn  *pgx.Conn
		value string
	}{{a, "a"}, {b, "b"}} {
		if _, err := c.conn.Exec(t.Context(), "CREATE TABLE kv (v text)"); err != nil {
			t.Fatalf("create table in %s: %v", c.value, err)
		}
		if _, err := c.conn.Exec(t.Context(), "INSERT INTO kv VALUES ($1)", c.value); err != nil {
			t.Fatalf("insert into %s: %v", c.value, err)
		}
	}
	for _, c := range []struct {
		conn *pgx.Conn
		want string
	}{{a, "a"}, {b, "b"}} {
		var got []string
		rows, err := c.conn.Query(t.Context(), "SELECT v FROM kv")
		if err == nil {
			got, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil || len(got) != 1 || got[0] != c.want {
			t.Errorf("database %s holds %v (err %v), want only %q", c.want, got, err, c.want)
		}
	}
}

func TestNewDatabaseRejectsDuplicatesAndLongNames(t *testing.T) {
	t.Parallel()
	const name = "duplicate"
	if srv == nil {
		t.Skipf("no PostgreSQL server: %s=1", pgtest.SkipEnv)
	}
	if os.Getenv(pgtest.URLEnv) != "" {
		t.Skip("a fixed name could collide with another run on a shared server")
	}
	if _, err := srv.NewDatabase(t.Context(), name); err != nil {
		t.Fatalf("first create: %v", err)
	}
	if _, err := srv.NewDatabase(t.Context(), name); err == nil {
		t.Error("second create of the same name succeeded")
	}
	if _, err := srv.NewDatabase(t.Context(), strings.Repeat("x", 64)); err == nil {
		t.Error("a 64-byte name, which PostgreSQL would truncate, was accepted")
	}
}

func TestTerminateBackendsDropsClients(t *testing.T) {
	t.Parallel()
	dbURL := srv.NewTestDatabase(t)
	conn := connect(t, dbURL)
	if _, err := conn.Exec(t.Context(), "SELECT 1"); err != nil {
		t.Fatalf("query before terminate: %v", err)
	}

	// Scoped to our database: other tests share the server.
	n, err := srv.TerminateBackends(t.Context(), databaseName(t, dbURL))
	if err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if n != 1 {
		t.Errorf("terminated %d backends, want 1", n)
	}
	if _, err := conn.Exec(t.Context(), "SELECT 1"); err == nil {
		t.Fatal("query on a terminated connection succeeded")
	}
	if !conn.IsClosed() {
		t.Error("connection not marked closed after its backend was terminated")
	}
	// The server itself must be unaffected.
	if _, err := connect(t, dbURL).Exec(t.Context(), "SELECT 1"); err != nil {
		t.Errorf("query on a new connection: %v", err)
	}
}

func TestRestartKeepsDataAndDropsListeners(t *testing.T) {
	t.Parallel()
	s := ownServer(t, pgtest.Options{})
	dbURL, err := s.NewDatabase(t.Context(), "restart")
	if err != nil {
		t.Fatal(err)
	}
	writer := connect(t, dbURL)
	if _, err := writer.Exec(t.Context(), "CREATE TABLE kv (v text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(t.Context(), "INSERT INTO kv VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	listener := connect(t, dbURL)
	if _, err := listener.Exec(t.Context(), "LISTEN changes"); err != nil {
		t.Fatal(err)
	}
	// Wait on the notification before the restart begins, as a notifier loop
	// would, so the test covers noticing a drop while blocked.
	waitErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err := listener.WaitForNotification(ctx)
		waitErr <- err
	}()

	start := time.Now()
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("restarted in %v", time.Since(start))

	err = <-waitErr
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("listening connection did not notice the restart: %v", err)
	}
	var got string
	if err := connect(t, dbURL).QueryRow(t.Context(), "SELECT v FROM kv").Scan(&got); err != nil || got != "kept" {
		t.Errorf("after restart: read %q, %v; want %q", got, err, "kept")
	}
}

// An immediate restart is a crash: the server recovers from its log, and
// with Fsync every commit it acknowledged is there, while the client's
// connection is gone.
func TestRestartImmediateKeepsAcknowledgedCommits(t *testing.T) {
	t.Parallel()
	s := ownServer(t, pgtest.Options{Fsync: true})
	dbURL, err := s.NewDatabase(t.Context(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	writer := connect(t, dbURL)
	if _, err := writer.Exec(t.Context(), "CREATE TABLE kv (v int)"); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := writer.Exec(t.Context(), "INSERT INTO kv VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RestartImmediate(t.Context()); err != nil {
		t.Fatalf("immediate restart: %v", err)
	}
	if _, err := writer.Exec(t.Context(), "SELECT 1"); err == nil {
		t.Error("the connection made before the crash still answers")
	}
	var n int
	if err := connect(t, dbURL).QueryRow(t.Context(), "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 100 {
		t.Errorf("after the crash: %d rows, %v; want 100", n, err)
	}
}

func TestStopClosesPort(t *testing.T) {
	t.Parallel()
	s := ownServer(t, pgtest.Options{})
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatalf("dial a running server: %v", err)
	}
	conn.Close() //nolint:errcheck // only the dial mattered

	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stopped in %v", time.Since(start))
	// Stop waits for the postmaster to exit, so the port is closed now; no
	// polling is needed.
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close() //nolint:errcheck // the test has already failed
		t.Errorf("port %s still accepts connections after Stop", u.Host)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

func TestFsyncOption(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		opts pgtest.Options
		want string
	}{{pgtest.Options{}, "off"}, {pgtest.Options{Fsync: true}, "on"}} {
		s := ownServer(t, c.opts)
		var got string
		if err := connect(t, s.URL()).QueryRow(t.Context(), "SHOW fsync").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%+v: fsync = %s, want %s", c.opts, got, c.want)
		}
	}
}

func TestNewTestDatabaseSkipsOnNilServer(t *testing.T) {
	t.Parallel()
	var nilServer *pgtest.Server
	skipped := false
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		nilServer.NewTestDatabase(t)
		t.Error("NewTestDatabase returned on a nil server")
	})
	if !skipped {
		t.Error("NewTestDatabase did not skip on a nil server")
	}
}

func databaseName(t *testing.T, dbURL string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

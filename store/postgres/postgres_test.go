package postgres_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

// env is one database; every Open is another console process using it.
type env struct {
	url, name string
}

func (e *env) Open(t *testing.T, key []byte) (store.Store, error) {
	s, err := postgres.Open(t.Context(), postgres.Options{URL: e.url, EncryptionKey: key, Logger: testr.New(t), MaxConns: 4})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, nil
}

// BreakFeed terminates the listener connections, as a database restart or a
// network cut would.
func (e *env) BreakFeed(t *testing.T) bool {
	conn, err := pgx.Connect(t.Context(), srv.URL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = $2`, e.name, postgres.ListenerApplicationName).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("terminate listener connections: %d terminated, %v", n, err)
	}
	return true
}

// Exec runs query on the database with a connection of its own.
func (e *env) Exec(t *testing.T, query string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), e.url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	if _, err := conn.Exec(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func databaseName(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Env {
		url := srv.NewTestDatabase(t)
		return &env{url: url, name: databaseName(t, url)}
	})
}

func BenchmarkStore(b *testing.B) { storetest.Benchmarks(b, openOn(srv)) }

// BenchmarkStoreFsync is BenchmarkStore on a server that really syncs to
// disk, for throughput figures that hold on a production database.
func BenchmarkStoreFsync(b *testing.B) {
	storetest.Benchmarks(b, openOn(pgtest.StartForTest(b, pgtest.Options{Fsync: true})))
}

// openOn opens stores on fresh databases of one server.
func openOn(server *pgtest.Server) func(b *testing.B) store.Store {
	return func(b *testing.B) store.Store {
		s, err := postgres.Open(b.Context(), postgres.Options{
			URL: server.NewTestDatabase(b), EncryptionKey: make([]byte, store.EncryptionKeySize),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := s.Close(); err != nil {
				b.Errorf("close: %v", err)
			}
		})
		return s
	}
}

package postgres_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

var unavailableActor = store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}

func policyNamed(name string) *store.Policy {
	return &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: name}, PPL: "allow:\n  or:\n    - accept: true\n"}
}

// openSmall opens a store of two connections on url, closed when t ends.
func openSmall(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), postgres.Options{URL: url, EncryptionKey: make([]byte, 32), Logger: testr.New(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// A write whose connection the server closes while it waits for the
// version lock (an administrator's pg_terminate_backend, as a restart
// does) is Unavailable, not a failure of the console, and its reason says
// the write was not applied.
func TestConnectionDroppedInAWriteIsUnavailable(t *testing.T) {
	t.Parallel()
	url := srv.NewTestDatabase(t)
	s := openSmall(t, url)
	holder, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "SELECT version FROM console_meta WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Apply(t.Context(), unavailableActor, &store.PutOp{Object: policyNamed("p")})
		done <- err
	}()
	wait.Until(t, "the write waits for the version lock", 10*time.Second, func() (bool, string) {
		var n int
		err := holder.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1, "no backend waits for the lock yet"
	})
	err = <-done
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write on a terminated connection: %v, want CodeUnavailable", err)
	}
	if !strings.Contains(err.Error(), "this write was not applied") {
		t.Errorf("reason %q, want it to say the write was not applied", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	page, err := s.List(t.Context(), store.KindPolicy, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalCount != 0 {
		t.Errorf("%d policies stored after the refused write, want 0", page.TotalCount)
	}
}

// A server that is down makes writes and reads alike Unavailable.
func TestServerDownIsUnavailable(t *testing.T) {
	t.Parallel()
	if os.Getenv(pgtest.URLEnv) != "" {
		t.Skipf("%s names a server this test may not stop", pgtest.URLEnv)
	}
	own := pgtest.StartForTest(t, pgtest.Options{})
	url, err := own.NewDatabase(t.Context(), "unavailable")
	if err != nil {
		t.Fatal(err)
	}
	s := openSmall(t, url)
	if err := own.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(t.Context(), unavailableActor, &store.PutOp{Object: policyNamed("p")}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write with the server down: %v, want CodeUnavailable", err)
	}
	if _, err := s.List(t.Context(), store.KindPolicy, store.ListQuery{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("read with the server down: %v, want CodeUnavailable", err)
	}
	if _, err := s.Version(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("version with the server down: %v, want CodeUnavailable", err)
	}
}

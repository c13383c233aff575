package webtest

import (
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

// Postgres opens a store on a fresh database of srv (the test package's
// PostgreSQL from pgtest.Main), closed by the test's cleanup.
func Postgres(t testing.TB, srv *pgtest.Server) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), postgres.Options{URL: srv.NewTestDatabase(t), EncryptionKey: make([]byte, 32), Logger: logr.Discard(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

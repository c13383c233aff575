package webtest

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

// Postgres opens a store on a fresh database of srv (the test package's
// PostgreSQL from pgtest.Main), closed by the test's cleanup.
func Postgres(t testing.TB, srv *pgtest.Server) store.Store {
	t.Helper()
	return PostgresAt(t, srv.NewTestDatabase(t))
}

// PostgresAt opens a store on the database at url, closed by the test's
// cleanup.
func PostgresAt(t testing.TB, url string) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), postgres.Options{URL: url, EncryptionKey: make([]byte, 32), Logger: logr.Discard(), MaxConns: 4})
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

// Databroker starts the embedded databroker on a loopback socket and returns
// a client of it; the test's cleanup stops both.
func Databroker(t testing.TB) *databroker.Client {
	t.Helper()
	url, secret := DatabrokerServer(t)
	c, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close databroker client: %v", err)
		}
	})
	return c
}

// DatabrokerServer starts the embedded databroker on a loopback socket, as
// the databroker of a cluster to add, and returns its URL and shared
// secret; the test's cleanup stops it.
func DatabrokerServer(t testing.TB) (url string, secret []byte) {
	t.Helper()
	secret = make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	return DatabrokerServerWith(t, secret), secret
}

// DatabrokerServerWith is DatabrokerServer with a given shared secret.
func DatabrokerServerWith(t testing.TB, secret []byte) (url string) {
	t.Helper()
	b := memory.New(memory.Options{SharedSecret: secret, Logger: logr.Discard()})
	addr, err := b.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return "http://" + addr.String()
}

// Probe reaches a cluster's databroker as the console's binary does before
// saving a cluster (manage.Options.Probe).
func Probe(ctx context.Context, c *store.Cluster) error {
	return reconcile.ProbeCluster(ctx, c, logr.Discard())
}

package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestSecretsSealedAtRest writes every kind of sealed secret through the
// store, then reads every row of every table of the console's schema with
// SQL of its own, bypassing the store, as text (row_to_json, which shows
// bytea in hex): no row holds a secret, as it is or in base64 or hex.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	url := srv.NewTestDatabase(t)
	s, err := postgres.Open(t.Context(), postgres.Options{URL: url, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	secrets := storetest.WriteSealedSecrets(t, s)
	raw, tables := rawRows(t, url)
	if tables < 5 || !strings.Contains(raw, "at-rest.example.com") {
		t.Fatalf("read %d tables without the key pair's certificate: the test reads less than it says", tables)
	}
	if found := storetest.FindPlaintext([]byte(raw), secrets); len(found) > 0 {
		t.Errorf("the database's rows hold %v", found)
	}
	// The search finds what is there: route and settings secrets are kept
	// unsealed (a known limit), so they are found.
	spec := storetest.WriteSpecSecrets(t, s)
	raw, _ = rawRows(t, url)
	if found := storetest.FindPlaintext([]byte(raw), spec); len(found) != len(spec) {
		t.Errorf("found %v of the unsealed spec secrets, want all %d: the search misses what it looks for", found, len(spec))
	}
}

// rawRows returns every row of every table outside the system schemas as
// JSON text, and how many tables it read.
func rawRows(t *testing.T, url string) (string, int) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	rows, err := conn.Query(t.Context(), `SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(t.Context(), "SELECT row_to_json(t)::text FROM "+table+" t")
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, text := range texts {
			b.WriteString(text)
			b.WriteByte('\n')
		}
	}
	return b.String(), len(tables)
}

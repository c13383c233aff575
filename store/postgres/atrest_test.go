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

// sealedVersionMigration is the migration that made console_meta's
// sealed_version: a database without it is one an earlier console made.
const sealedVersionMigration = 11

// TestSecretsSealedAtRest writes every kind of sealed secret through the
// store, then reads every row of every table of the console's schema with
// SQL of its own, bypassing the store, as text (row_to_json, which shows
// bytea in hex): no row holds a secret, as it is or in base64 or hex, and
// the rows hold every marker written beside them in plain text, so the
// search reads what holds them.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	url := srv.NewTestDatabase(t)
	s := openAt(t, url)
	t.Cleanup(func() { _ = s.Close() })
	secrets, markers := storetest.WriteSealedSecrets(t, s)
	raw, tables := rawRows(t, url)
	if tables < 5 || !strings.Contains(raw, "at-rest.example.com") {
		t.Fatalf("read %d tables without the route's from URL: the test reads less than it says", tables)
	}
	checkSealed(t, raw, secrets, markers)
}

// TestPlainSecretsSealedAtOpen: a database an earlier console wrote, route
// and settings secrets in plain text in the objects' data (a deleted
// route's too) and no sealed_version, holds none of them in any row once
// the store opened it, and the store reads them all back.
func TestPlainSecretsSealedAtOpen(t *testing.T) {
	t.Parallel()
	url := srv.NewTestDatabase(t)
	s := openAt(t, url)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	exec := func(query string, args ...any) error {
		_, err := conn.Exec(t.Context(), query, args...)
		return err
	}
	legacy := storetest.WriteLegacySpecSecrets(t, s, exec)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.ForgetSealedVersion(t, exec, sealedVersionMigration)
	raw, _ := rawRows(t, url)
	if found := storetest.FindPlaintext([]byte(raw), legacy.Secrets); len(found) != len(legacy.Secrets) {
		t.Fatalf("the database written as an earlier console did holds %v of the %d secrets in plain text, want all", found, len(legacy.Secrets))
	}
	s = openAt(t, url)
	t.Cleanup(func() { _ = s.Close() })
	raw, _ = rawRows(t, url)
	checkSealed(t, raw, legacy.Secrets, legacy.Markers)
	legacy.CheckRead(t, s)
	// The counts and sums of the objects the earlier console wrote.
	storetest.CheckListTotals(t, s)
	storetest.CheckIndexSums(t, s)
}

func openAt(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), postgres.Options{URL: url, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkSealed fails unless raw holds none of the secrets and every marker.
func checkSealed(t *testing.T, raw string, secrets, markers []storetest.Secret) {
	t.Helper()
	if found := storetest.FindPlaintext([]byte(raw), secrets); len(found) > 0 {
		t.Errorf("the database's rows hold %v", found)
	}
	if found := storetest.FindPlaintext([]byte(raw), markers); len(found) != len(markers) {
		t.Errorf("the database's rows hold the markers %v of %d: the search misses what it looks for", found, len(markers))
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

package storetest

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

// Embedded opens a fresh embedded store in a temporary directory of t,
// sealed with key, for tests of packages that need a real store and not a
// particular backend. The test's cleanup closes it.
func Embedded(t testing.TB, key []byte) store.Store {
	t.Helper()
	s, _ := EmbeddedFile(t, key)
	return s
}

// EmbeddedFile is Embedded that also returns the store's database file,
// for tests that change it behind the store's back (ExecFile).
func EmbeddedFile(t testing.TB, key []byte) (store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.db")
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: key, Logger: logr.Discard()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s, path
}

// ExecFile runs a statement on the embedded store's file at path with a
// connection of its own, bypassing the store, as whoever can write the
// file could. query takes $1-style placeholders (SQLite reads ?1 as $1).
// It fails the test on an error.
func ExecFile(t testing.TB, path, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // a test connection, discarded either way
	if _, err := db.ExecContext(t.Context(), strings.ReplaceAll(query, "$", "?"), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

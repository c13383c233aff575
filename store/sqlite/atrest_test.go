package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// sealedVersionMigration is the migration that made console_meta's
// sealed_version: a database without it is one an earlier console made.
const sealedVersionMigration = 12

// TestSecretsSealedAtRest writes every kind of sealed secret through the
// store and reads the database's files byte by byte, the main file and
// its write-ahead log while the store is open, and the main file again
// after it closed (which checkpoints the log into it): none holds a
// secret, as it is or in base64 or hex, and each holds every marker
// written beside them in plain text, so the search reads what holds them.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "console.db")
	s := openAt(t, path)
	secrets, markers := storetest.WriteSealedSecrets(t, s)
	open := dirFiles(t, dir)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log while the store is open (%v): the test reads less than it says", err)
	}
	checkSealed(t, "the files of the open store", open, secrets, markers)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, "the files of the closed store", dirFiles(t, dir), secrets, markers)
}

// TestPlainSecretsSealedAtOpen: a database an earlier console wrote, route
// and settings secrets in plain text in the objects' data (a deleted
// route's too) and no sealed_version, holds none of them once the store
// opened it, neither while it is open nor after, and reads them all back.
func TestPlainSecretsSealedAtOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "console.db")
	s := openAt(t, path)
	raw := rawDB(t, path)
	legacy := storetest.WriteLegacySpecSecrets(t, s, raw)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.ForgetSealedVersion(t, raw, sealedVersionMigration)
	if found := storetest.FindPlaintext(dirFiles(t, dir), legacy.Secrets); len(found) != len(legacy.Secrets) {
		t.Fatalf("the database written as an earlier console did holds %v of the %d secrets in plain text, want all", found, len(legacy.Secrets))
	}
	s = openAt(t, path)
	checkSealed(t, "the files of the opened store", dirFiles(t, dir), legacy.Secrets, legacy.Markers)
	legacy.CheckRead(t, s)
	// The counts and sums of the objects the earlier console wrote.
	storetest.CheckListTotals(t, s)
	storetest.CheckIndexSums(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, "the files of the closed store", dirFiles(t, dir), legacy.Secrets, legacy.Markers)
}

// TestPlainSecretsSealedByRestore: a backup of a store that keeps route
// and settings secrets in plain text, as an earlier console's backups do,
// restores into files that hold none of them.
func TestPlainSecretsSealedByRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "console.db")
	s := openAt(t, path)
	t.Cleanup(func() { _ = s.Close() })
	legacy := storetest.WriteLegacySpecSecrets(t, s, rawDB(t, path))
	var backup bytes.Buffer
	if _, err := s.Backup(t.Context(), &backup, store.BackupOptions{Activity: true}); err != nil {
		t.Fatal(err)
	}
	if found := storetest.FindPlaintext(backup.Bytes(), legacy.Secrets); len(found) == 0 {
		t.Fatal("the backup holds no secret in plain text: it is not the backup of an earlier console the test means")
	}
	restoredDir := t.TempDir()
	restored := openAt(t, filepath.Join(restoredDir, "console.db"))
	if _, err := restored.Restore(t.Context(), &backup); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, "the files of the restored store", dirFiles(t, restoredDir), legacy.Secrets, legacy.Markers)
	legacy.CheckRead(t, restored)
	if err := restored.Close(); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, "the files of the restored store, closed", dirFiles(t, restoredDir), legacy.Secrets, legacy.Markers)
}

func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawDB opens the database file with a connection of the test's own and
// returns a function that runs a statement on it, $1-style parameters and
// all.
func rawDB(t *testing.T, path string) func(query string, args ...any) error {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return func(query string, args ...any) error {
		_, err := db.ExecContext(t.Context(), strings.ReplaceAll(query, "$", "?"), args...)
		return err
	}
}

// dirFiles is every file of dir, one after the other.
func dirFiles(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// checkSealed fails unless raw holds none of the secrets and every marker.
func checkSealed(t *testing.T, what string, raw []byte, secrets, markers []storetest.Secret) {
	t.Helper()
	if found := storetest.FindPlaintext(raw, secrets); len(found) > 0 {
		t.Errorf("%s hold %v", what, found)
	}
	if found := storetest.FindPlaintext(raw, markers); len(found) != len(markers) {
		t.Errorf("%s hold the markers %v of %d: the search misses what it looks for", what, found, len(markers))
	}
}

package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestSecretsSealedAtRest writes every kind of sealed secret through the
// store and reads the database's files byte by byte, the main file and
// its write-ahead log while the store is open, and the main file again
// after it closed (which checkpoints the log into it): none holds a
// secret, as it is or in base64 or hex.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "console.db")
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	secrets := storetest.WriteSealedSecrets(t, s)
	files := func() []byte {
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
	open := files()
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log while the store is open (%v): the test reads less than it says", err)
	}
	if found := storetest.FindPlaintext(open, secrets); len(found) > 0 {
		t.Errorf("the files of the open store hold %v", found)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := storetest.FindPlaintext(files(), secrets); len(found) > 0 {
		t.Errorf("the files of the closed store hold %v", found)
	}
	// The search finds what is there. Route and settings secrets are kept
	// in the object's data unsealed (a known limit: they are hidden from
	// every surface, not encrypted at rest), so they are found; once they
	// are sealed they belong in WriteSealedSecrets.
	s2, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	spec := storetest.WriteSpecSecrets(t, s2)
	if found := storetest.FindPlaintext(files(), spec); len(found) != len(spec) {
		t.Errorf("found %v of the unsealed spec secrets, want all %d: the search misses what it looks for", found, len(spec))
	}
}

package storetest

import (
	"path/filepath"
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
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: filepath.Join(t.TempDir(), "console.db"), EncryptionKey: key, Logger: logr.Discard()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

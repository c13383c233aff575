package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// env is one database file; every Open is another process opening it.
type env struct{ path string }

func (e *env) Open(t *testing.T, key []byte) (store.Store, error) {
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: e.path, EncryptionKey: key, Logger: testr.New(t)})
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

// BreakFeed: the embedded store's feed has no connection to lose.
func (e *env) BreakFeed(*testing.T) bool { return false }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Env {
		return &env{path: filepath.Join(t.TempDir(), "console.db")}
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) store.Store {
		s, err := sqlite.Open(b.Context(), sqlite.Options{
			Path: filepath.Join(b.TempDir(), "console.db"), EncryptionKey: make([]byte, store.EncryptionKeySize),
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
	})
}

package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

func TestEmbeddedGeneratesAndKeepsKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := backend.Options{DataDir: dir, Logger: testr.New(t)}
	s, err := backend.Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := store.Put(t.Context(), s, store.Actor{Subject: "t", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{Name: "a", NamespaceID: store.GlobalNamespaceID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, backend.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	s, err = backend.Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("reopen with the generated key: %v", err)
	}
	defer s.Close()
	if _, err := store.Get[*store.Namespace](t.Context(), s, ns.ID); err != nil {
		t.Fatalf("namespace lost across reopen: %v", err)
	}
}

func TestEmbeddedRefusesOtherKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := backend.Open(t.Context(), backend.Options{DataDir: dir, Logger: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other := []byte(strings.Repeat("k", store.EncryptionKeySize))
	_, err = backend.Open(t.Context(), backend.Options{DataDir: dir, EncryptionKey: other, Logger: testr.New(t)})
	if !errors.Is(err, store.ErrWrongEncryptionKey) {
		t.Fatalf("open with another key: got %v, want ErrWrongEncryptionKey", err)
	}
}

func TestBadKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, backend.KeyFile), []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := backend.Open(t.Context(), backend.Options{DataDir: dir, Logger: testr.New(t)})
	if err == nil || !strings.Contains(err.Error(), backend.KeyFile) {
		t.Fatalf("got %v, want an error naming the key file", err)
	}
}

func TestPostgresNeedsKey(t *testing.T) {
	t.Parallel()
	_, err := backend.Open(t.Context(), backend.Options{DatabaseURL: "postgres://127.0.0.1:1/x", Logger: testr.New(t)})
	if err == nil || !strings.Contains(err.Error(), "database_encryption_key") {
		t.Fatalf("got %v, want an error naming database_encryption_key", err)
	}
}

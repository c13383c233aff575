package backend_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

var key = bytes.Repeat([]byte{7}, store.EncryptionKeySize)

// stores are the two backends, each a fresh empty store on every call.
var stores = map[string]func(t *testing.T) backend.Options{
	"embedded": func(t *testing.T) backend.Options {
		return backend.Options{DataDir: t.TempDir(), EncryptionKey: key, Logger: testr.New(t)}
	},
	"postgres": func(t *testing.T) backend.Options {
		return backend.Options{DatabaseURL: srv.NewTestDatabase(t), EncryptionKey: key, Logger: testr.New(t)}
	},
}

func open(t *testing.T, opts backend.Options) store.Store {
	t.Helper()
	st, err := backend.Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// TestBackupRestoreCompilesTheSame backs up a store of every backend,
// restores it into an empty store of every backend, and compiles both: the
// restored console writes byte for byte the records the first one would.
func TestBackupRestoreCompilesTheSame(t *testing.T) {
	t.Parallel()
	for from, fromOpts := range stores {
		for to, toOpts := range stores {
			t.Run(from+"-to-"+to, func(t *testing.T) {
				t.Parallel()
				src := open(t, fromOpts(t))
				storetest.WriteScene(t, src)
				var buf bytes.Buffer
				if _, err := src.Backup(t.Context(), &buf, store.BackupOptions{Activity: true}); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(buf.Bytes(), []byte("PRIVATE KEY")) {
					t.Fatal("the backup holds a private key in clear")
				}
				dst := toOpts(t)
				if _, err := backend.Restore(t.Context(), dst, &buf); err != nil {
					t.Fatal(err)
				}
				want, got := compiled(t, src), compiled(t, open(t, dst))
				if len(want) == 0 || len(got) != len(want) {
					t.Fatalf("restored store compiles %d records, the first %d", len(got), len(want))
				}
				for i := range want {
					if !bytes.Equal(want[i], got[i]) {
						t.Errorf("record %d differs after restore", i)
					}
				}
			})
		}
	}
}

// compiled is every record compilation makes of the store, each
// marshalled deterministically, in the order compilation gives them.
func compiled(t *testing.T, st store.Store) [][]byte {
	t.Helper()
	state, err := st.Load(t.Context(), store.WithSecrets())
	if err != nil {
		t.Fatal(err)
	}
	res := compile.Compile(state)
	for k, s := range res.Status {
		if !s.Valid {
			t.Errorf("%s does not compile: %s %s", k, s.Field, s.Reason)
		}
	}
	out := make([][]byte, len(res.Records))
	for i, rec := range res.Records {
		if out[i], err = (proto.MarshalOptions{Deterministic: true}).Marshal(rec); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestRestoreNeedsTheKey: restoring into an embedded store whose data
// directory has no key, and none is configured, is refused before anything
// is created; with another key it is refused too.
func TestRestoreNeedsTheKey(t *testing.T) {
	t.Parallel()
	src := open(t, stores["embedded"](t))
	storetest.WriteScene(t, src)
	var buf bytes.Buffer
	if _, err := src.Backup(t.Context(), &buf, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err := backend.Restore(t.Context(), backend.Options{DataDir: dir, Logger: testr.New(t)}, bytes.NewReader(buf.Bytes()))
	if err == nil || !strings.Contains(err.Error(), "database_encryption_key") {
		t.Fatalf("restore without a key: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused restore left %d files in the data directory", len(entries))
	}
	other := bytes.Repeat([]byte{8}, store.EncryptionKeySize)
	_, err = backend.Restore(t.Context(), backend.Options{DataDir: dir, EncryptionKey: other, Logger: testr.New(t)}, bytes.NewReader(buf.Bytes()))
	if err == nil || !strings.Contains(err.Error(), "another database_encryption_key") {
		t.Fatalf("restore with another key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, backend.DatabaseFile)); err == nil {
		t.Error("a restore refused for its key created the database")
	}
}

// TestMigrationStatus lists every migration as pending before a store
// exists (creating nothing) and as applied after it was opened; Reach
// tells a wrong key.
func TestMigrationStatus(t *testing.T) {
	t.Parallel()
	for name, newOpts := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := newOpts(t)
			schema, err := backend.Reach(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			before := schema.Migrations
			if len(before) == 0 {
				t.Fatal("no migrations listed")
			}
			for _, m := range before {
				if m.Applied || m.File == "" {
					t.Errorf("before the store was opened: %+v", m)
				}
			}
			if opts.DataDir != "" {
				if _, err := os.Stat(filepath.Join(opts.DataDir, backend.DatabaseFile)); err == nil {
					t.Error("migration status created the database")
				}
			}
			open(t, opts)
			schema, err = backend.Reach(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range schema.Migrations {
				if !m.Applied || m.AppliedAt.IsZero() || m.File == "" {
					t.Errorf("after the store was opened: %+v", m)
				}
			}
			opts.EncryptionKey = bytes.Repeat([]byte{9}, store.EncryptionKeySize)
			if _, err := backend.Reach(t.Context(), opts); !errors.Is(err, store.ErrWrongEncryptionKey) {
				t.Errorf("reach with another key: %v", err)
			}
		})
	}
}

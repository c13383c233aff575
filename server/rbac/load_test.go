package rbac

import (
	"path/filepath"
	"testing"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

func TestLoadReadsTreeAndPermissions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "db"), EncryptionKey: make([]byte, 32), Logger: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	prod, err := store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Production"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, s, actor, &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: prod.ID},
		SubjectType: store.SubjectGroup, SubjectID: "devs", Role: store.RoleManager}, 0); err != nil {
		t.Fatal(err)
	}
	snap, err := Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	dev := Caller{UserID: "u", Groups: []string{"devs"}}
	if got := snap.Role(dev, prod.ID); got != store.RoleManager {
		t.Errorf("role in Production = %q, want manager", got)
	}
	if got := snap.Name(prod.ID); got != "Production" {
		t.Errorf("name of Production = %q", got)
	}
	if got := snap.Role(dev, store.GlobalNamespaceID); got != None {
		t.Errorf("role in Global = %q, want none", got)
	}
}

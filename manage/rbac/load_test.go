package rbac

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

func TestLoadReadsTreeAndPermissions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
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

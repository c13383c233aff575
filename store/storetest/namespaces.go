package storetest

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

func testNamespaces(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "GlobalExists", newEnv, func(t *testing.T, f *fixture) {
		g := get[*store.Namespace](f, store.GlobalNamespaceID)
		if g.ID != store.GlobalNamespaceID || g.NamespaceID != "" || g.Origin != store.OriginSystem || g.Name == "" {
			t.Errorf("global namespace = %+v, want id %s, no parent, origin system and a name", g, store.GlobalNamespaceID)
		}
	})
	subtest(t, "GlobalCannotBeDeleted", newEnv, func(t *testing.T, f *fixture) {
		f.rejectsDelete(store.DeleteOp{Kind: store.KindNamespace, ID: store.GlobalNamespaceID}, store.CodeFailedPrecondition, "")
		f.rejectsDelete(store.DeleteOp{Kind: store.KindNamespace, ID: store.GlobalNamespaceID, Cascade: true}, store.CodeFailedPrecondition, "")
	})
	subtest(t, "GlobalCannotMove", newEnv, func(t *testing.T, f *fixture) {
		child := put(f, newNamespace(store.GlobalNamespaceID, "child"))
		g := get[*store.Namespace](f, store.GlobalNamespaceID)
		g.NamespaceID = child.ID
		f.rejectsPut(g, store.CodeInvalid, "namespace_id")
	})
	subtest(t, "GlobalCanBeRenamed", newEnv, func(t *testing.T, f *fixture) {
		g := get[*store.Namespace](f, store.GlobalNamespaceID)
		g.Name = "Everything"
		put(f, g)
		if got := get[*store.Namespace](f, store.GlobalNamespaceID); got.Name != "Everything" || got.NamespaceID != "" {
			t.Errorf("renamed global namespace = %+v, want name Everything and no parent", got)
		}
	})
	subtest(t, "ParentRequired", newEnv, func(t *testing.T, f *fixture) {
		f.rejectsPut(newNamespace("", "orphan"), store.CodeInvalid, "namespace_id")
	})
	subtest(t, "ParentMustExist", newEnv, func(t *testing.T, f *fixture) {
		f.rejectsPut(newNamespace(uuid.NewString(), "orphan"), store.CodeInvalid, "namespace_id")
		gone := put(f, newNamespace(store.GlobalNamespaceID, "gone"))
		f.del(store.DeleteOp{Kind: store.KindNamespace, ID: gone.ID})
		f.rejectsPut(newNamespace(gone.ID, "orphan"), store.CodeInvalid, "namespace_id")
		// A live object of another kind is not a namespace.
		p := put(f, newPolicy(store.GlobalNamespaceID, "policy"))
		f.rejectsPut(newNamespace(p.ID, "orphan"), store.CodeInvalid, "namespace_id")
	})
	subtest(t, "NameRules", newEnv, func(t *testing.T, f *fixture) {
		for _, name := range badNames {
			f.rejectsPut(newNamespace(store.GlobalNamespaceID, name), store.CodeInvalid, "name")
		}
		put(f, newNamespace(store.GlobalNamespaceID, strings.Repeat("n", store.MaxNameLength)))
	})
	subtest(t, "NameUniqueAmongSiblings", newEnv, func(t *testing.T, f *fixture) {
		first := put(f, newNamespace(store.GlobalNamespaceID, "team"))
		f.rejectsPut(newNamespace(store.GlobalNamespaceID, "team"), store.CodeAlreadyExists, "name")
		other := put(f, newNamespace(store.GlobalNamespaceID, "other"))
		put(f, newNamespace(other.ID, "team"))
		other.Name = "team"
		f.rejectsPut(other, store.CodeAlreadyExists, "name")
		f.del(store.DeleteOp{Kind: store.KindNamespace, ID: first.ID})
		put(f, newNamespace(store.GlobalNamespaceID, "team"))
	})
	subtest(t, "NoCycles", newEnv, func(t *testing.T, f *fixture) {
		a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
		b := put(f, newNamespace(a.ID, "b"))
		c := put(f, newNamespace(b.ID, "c"))
		for _, parent := range []string{a.ID, b.ID, c.ID} {
			moved := get[*store.Namespace](f, a.ID)
			moved.NamespaceID = parent
			f.rejectsPut(moved, store.CodeInvalid, "namespace_id")
		}
		// Moving a leaf up is no cycle.
		c.NamespaceID = store.GlobalNamespaceID
		if got := put(f, c); got.NamespaceID != store.GlobalNamespaceID {
			t.Errorf("moved namespace has parent %q, want %q", got.NamespaceID, store.GlobalNamespaceID)
		}
	})
	subtest(t, "DeleteEmpty", newEnv, func(t *testing.T, f *fixture) {
		ns := put(f, newNamespace(store.GlobalNamespaceID, "empty"))
		f.del(store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID})
		f.wantNotFound(store.KindNamespace, ns.ID)
	})
	for _, k := range append([]store.Kind{store.KindNamespace}, contentKinds...) {
		subtest(t, "DeleteRefusedWhileHolding/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			ns := put(f, newNamespace(store.GlobalNamespaceID, "full"))
			put(f, newObject(t, k, ns.ID, "content"))
			f.rejectsDelete(store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID}, store.CodeFailedPrecondition, "")
		})
	}
	subtest(t, "CascadeDeletesSubtree", newEnv, testCascade)
}

// badNames are names every named kind refuses.
var badNames = []string{
	"",
	strings.Repeat("n", store.MaxNameLength+1),
	" leading",
	"trailing ",
	"line\nbreak",
	"tab\there",
	"nul\x00byte",
}

func testCascade(t *testing.T, f *fixture) {
	a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
	keep := put(f, newNamespace(store.GlobalNamespaceID, "keep"))
	keptRoute := put(f, newRoute(keep.ID, "kept", "https://kept.example.com"))
	v0 := f.version()

	b := put(f, newNamespace(a.ID, "b"))
	p := put(f, newPolicy(a.ID, "p"))
	doomed := []store.Object{a, b, p,
		put(f, newRoute(a.ID, "r", "https://r.example.com", p.ID)),
		put(f, newRoute(b.ID, "rb", "https://rb.example.com", p.ID)),
		put(f, newObject(t, store.KindKeyPair, a.ID, "kp")),
		put(f, newServiceAccount(b.ID, "sa")),
		put(f, newPermission(b.ID, store.SubjectGroup, "devs", store.RoleAdmin)),
	}
	v1 := f.version()

	f.del(store.DeleteOp{Kind: store.KindNamespace, ID: a.ID, Cascade: true})
	for _, o := range doomed {
		f.wantNotFound(o.Kind(), o.GetObjectMeta().ID)
	}
	get[*store.Namespace](f, keep.ID)
	get[*store.Route](f, keptRoute.ID)
	get[*store.Namespace](f, store.GlobalNamespaceID)

	cs, err := f.s.Changes(f.ctx, v0, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	tombstones := map[string]int64{}
	for _, c := range cs.Changes {
		if c.Deleted() {
			tombstones[c.ID] = c.Version
		} else {
			t.Errorf("change %s %s at version %d is live, want only tombstones after the cascade", c.Kind, c.ID, c.Version)
		}
	}
	seen := map[int64]bool{}
	for _, o := range doomed {
		id := o.GetObjectMeta().ID
		v, ok := tombstones[id]
		switch {
		case !ok:
			t.Errorf("no tombstone for %s %s", o.Kind(), id)
			continue
		case v <= v1:
			t.Errorf("tombstone of %s %s has version %d, want > %d", o.Kind(), id, v, v1)
		case seen[v]:
			t.Errorf("tombstone of %s %s shares version %d with another", o.Kind(), id, v)
		}
		seen[v] = true
		page, err := f.s.Activity(f.ctx, store.ActivityQuery{EntityID: id, Action: store.ActionDelete})
		if err != nil {
			t.Fatalf("activity: %v", err)
		}
		if len(page.Entries) != 1 || page.Entries[0].Version != v || page.Entries[0].EntityType != o.Kind() {
			t.Errorf("delete entries of %s %s = %+v, want one at version %d", o.Kind(), id, page.Entries, v)
		}
	}
	if len(tombstones) != len(doomed) {
		t.Errorf("cascade left %d tombstones, want %d", len(tombstones), len(doomed))
	}
}

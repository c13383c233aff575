package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

func testVersions(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "OneIncreasingSequence", newEnv, testSequence)
	subtest(t, "Changes", newEnv, testChanges)
	subtest(t, "ChangesLimit", newEnv, testChangesLimit)
	subtest(t, "Load", newEnv, testLoad)
	subtest(t, "IndexMatchesLoad", newEnv, testIndex)
	subtest(t, "IndexSumsListWritten", newEnv, testIndexSumsWritten)
	subtest(t, "ApplyIsAtomic", newEnv, func(t *testing.T, f *fixture) {
		bad := newPolicy(store.GlobalNamespaceID, "bad")
		bad.PPL = ""
		f.rejects(apiActor, store.CodeInvalid, "ppl",
			&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "first")},
			&store.PutOp{Object: bad})
		f.rejects(apiActor, store.CodeNotFound, "",
			&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "first")},
			&store.DeleteOp{Kind: store.KindPolicy, ID: uuid.NewString()})
		// The second op sees the first: the name is taken inside the transaction.
		f.rejects(apiActor, store.CodeAlreadyExists, "name",
			&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "twin")},
			&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "twin")})
	})
	subtest(t, "KindsVersion", newEnv, testKindsVersion)
	subtest(t, "ApplyStream", newEnv, testApplyStream)
	subtest(t, "ApplyStreamIsAtomic", newEnv, testApplyStreamIsAtomic)
	subtest(t, "ApplyInOrder", newEnv, func(t *testing.T, f *fixture) {
		ns := newNamespace(store.GlobalNamespaceID, "ns")
		ns.ID = uuid.NewString()
		objs := f.apply(apiActor,
			&store.PutOp{Object: ns},
			&store.PutOp{Object: newPolicy(ns.ID, "p")},
			&store.PutOp{Object: newRoute(ns.ID, "r", "https://r.example.com")})
		p := objs[1].(*store.Policy)
		objs = f.apply(apiActor,
			&store.DeleteOp{Kind: store.KindRoute, ID: objs[2].GetObjectMeta().ID},
			&store.DeleteOp{Kind: store.KindPolicy, ID: p.ID},
			&store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID})
		for i, o := range objs {
			if o != nil {
				t.Errorf("delete op %d returned %+v, want nil", i, o)
			}
		}
		f.wantNotFound(store.KindNamespace, ns.ID)
	})
}

func testSequence(t *testing.T, f *fixture) {
	last := f.version()
	next := func(what string, v int64) {
		t.Helper()
		if v <= last {
			t.Errorf("%s got version %d, want > %d", what, v, last)
		}
		last = v
		if sv := f.version(); sv != v {
			t.Errorf("store version after %s = %d, want %d", what, sv, v)
		}
	}
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	next("namespace", ns.Version)
	for _, k := range contentKinds {
		next(string(k), put(f, newObject(t, k, ns.ID, "obj")).GetObjectMeta().Version)
	}
	next("settings", put(f, newSettings("debug")).Version)
	ns.Name = "renamed"
	next("namespace update", put(f, ns).Version)

	objs := f.apply(apiActor,
		&store.PutOp{Object: newPolicy(ns.ID, "a")},
		&store.PutOp{Object: newRoute(ns.ID, "b", "https://b.example.com")},
		&store.PutOp{Object: newNamespace(ns.ID, "c")})
	for i, o := range objs {
		v := o.GetObjectMeta().Version
		if v <= last {
			t.Errorf("op %d of one apply got version %d, want > %d", i, v, last)
		}
		last = v
	}
	if sv := f.version(); sv != last {
		t.Errorf("store version after a multi-op apply = %d, want %d", sv, last)
	}

	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: objs[0].GetObjectMeta().ID})
	cs, err := f.s.Changes(f.ctx, last, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	if len(cs.Changes) != 1 || !cs.Changes[0].Deleted() {
		t.Fatalf("changes after a delete = %+v, want one tombstone", cs.Changes)
	}
	next("delete", cs.Changes[0].Version)
}

func testChanges(t *testing.T, f *fixture) {
	v0 := f.version()
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	p := put(f, newPolicy(ns.ID, "p"))
	r := put(f, newRoute(ns.ID, "r", "https://r.example.com"))
	gone := put(f, newServiceAccount(ns.ID, "gone"))
	p.Description = "first edit"
	p = put(f, p)
	p.Description = "second edit"
	p = put(f, p)
	f.del(store.DeleteOp{Kind: store.KindServiceAccount, ID: gone.ID})
	tomb := f.version()

	cs, err := f.s.Changes(f.ctx, v0, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	// Compare with what a read returns, so that this test is about Changes
	// and not about what Apply returns.
	ns, p, r = get[*store.Namespace](f, ns.ID), get[*store.Policy](f, p.ID), get[*store.Route](f, r.ID)
	want := []store.Change{
		{Kind: store.KindNamespace, ID: ns.ID, Version: ns.Version, Object: ns},
		{Kind: store.KindRoute, ID: r.ID, Version: r.Version, Object: r},
		{Kind: store.KindPolicy, ID: p.ID, Version: p.Version, Object: p},
		{Kind: store.KindServiceAccount, ID: gone.ID, Version: tomb},
	}
	assertEqual(t, "changes", want, cs.Changes)
	if cs.StoreVersion != tomb {
		t.Errorf("store version of changes = %d, want %d", cs.StoreVersion, tomb)
	}
	if !cs.Changes[len(cs.Changes)-1].Deleted() {
		t.Errorf("tombstone does not report Deleted")
	}
	cs, err = f.s.Changes(f.ctx, tomb, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	if len(cs.Changes) != 0 || cs.StoreVersion != tomb {
		t.Errorf("changes after the last version = %+v at %d, want none at %d", cs.Changes, cs.StoreVersion, tomb)
	}
}

func testChangesLimit(t *testing.T, f *fixture) {
	v0 := f.version()
	for i := range 7 {
		put(f, newPolicy(store.GlobalNamespaceID, "p"+string(rune('a'+i))))
	}
	all, err := f.s.Changes(f.ctx, v0, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	if len(all.Changes) != 7 {
		t.Fatalf("changes = %d entries, want 7", len(all.Changes))
	}
	var paged []store.Change
	for after := v0; ; {
		cs, err := f.s.Changes(f.ctx, after, 3)
		if err != nil {
			t.Fatalf("changes: %v", err)
		}
		if len(cs.Changes) > 3 {
			t.Fatalf("changes with limit 3 returned %d", len(cs.Changes))
		}
		if cs.StoreVersion != all.StoreVersion {
			t.Errorf("store version of a page = %d, want %d", cs.StoreVersion, all.StoreVersion)
		}
		if len(cs.Changes) == 0 {
			break
		}
		paged = append(paged, cs.Changes...)
		after = cs.Changes[len(cs.Changes)-1].Version
	}
	assertEqual(t, "changes read in pages of 3", all.Changes, paged)
	if !slices.IsSortedFunc(paged, func(a, b store.Change) int { return int(a.Version - b.Version) }) {
		t.Errorf("changes are not in version order")
	}
}

func testLoad(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	settings := put(f, newSettings("warn"))
	var ops []store.Op
	for _, k := range contentKinds {
		for _, name := range []string{"one", "two"} {
			ops = append(ops, &store.PutOp{Object: newObject(t, k, ns.ID, name)})
		}
	}
	written := f.apply(apiActor, ops...)
	f.del(store.DeleteOp{Kind: store.KindRoute, ID: written[2].GetObjectMeta().ID})

	st, err := f.s.Load(f.ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if v := f.version(); st.Version != v {
		t.Errorf("load version = %d, want %d", st.Version, v)
	}
	assertEqual(t, "loaded settings", get[*store.Settings](f, settings.ID), st.Settings)
	byKind := map[store.Kind][]store.Object{}
	for _, o := range st.Namespaces {
		byKind[store.KindNamespace] = append(byKind[store.KindNamespace], o)
	}
	for _, o := range st.Policies {
		byKind[store.KindPolicy] = append(byKind[store.KindPolicy], o)
	}
	for _, o := range st.Routes {
		byKind[store.KindRoute] = append(byKind[store.KindRoute], o)
	}
	for _, o := range st.KeyPairs {
		byKind[store.KindKeyPair] = append(byKind[store.KindKeyPair], o)
	}
	for _, o := range st.ServiceAccounts {
		byKind[store.KindServiceAccount] = append(byKind[store.KindServiceAccount], o)
	}
	for _, o := range st.Permissions {
		byKind[store.KindNamespacePermission] = append(byKind[store.KindNamespacePermission], o)
	}
	for _, k := range append([]store.Kind{store.KindNamespace}, contentKinds...) {
		list, err := f.s.List(f.ctx, k, store.ListQuery{})
		if err != nil {
			t.Fatalf("list %s: %v", k, err)
		}
		want := slices.Sorted(slices.Values(ids(list.Objects)))
		got := slices.Sorted(slices.Values(ids(byKind[k])))
		assertEqual(t, "ids of loaded "+string(k), want, got)
	}
	if len(byKind[store.KindRoute]) != 1 || len(byKind[store.KindNamespace]) != 2 {
		t.Errorf("load holds %d routes and %d namespaces, want 1 and 2 (global and ns)",
			len(byKind[store.KindRoute]), len(byKind[store.KindNamespace]))
	}
}

// testIndex checks that Index names exactly the objects Load returns, at
// their versions, and the same store version.
func testIndex(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	put(f, newSettings("warn"))
	var ops []store.Op
	for _, k := range contentKinds {
		ops = append(ops, &store.PutOp{Object: newObject(t, k, ns.ID, "one")})
	}
	written := f.apply(apiActor, ops...)
	f.del(store.DeleteOp{Kind: written[0].Kind(), ID: written[0].GetObjectMeta().ID})

	st, err := f.s.Load(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := f.s.Index(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[store.IndexEntry]bool{}
	for _, o := range st.Objects() {
		m := o.GetObjectMeta()
		want[store.IndexEntry{Kind: o.Kind(), ID: m.ID, Version: m.Version}] = true
	}
	got := map[store.IndexEntry]bool{}
	for _, e := range idx.Entries {
		got[e] = true
	}
	assertEqual(t, "index entries", want, got)
	if idx.Version != st.Version {
		t.Errorf("index version %d, load version %d", idx.Version, st.Version)
	}

	checkIndexSums(t, f, "after the writes")
}

// testIndexSumsWritten checks that IndexSums lists what was written after
// a version as its snapshot holds it: each object once, at its last
// version, deletions included, in version order; and none past the limit.
func testIndexSumsWritten(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	kept := put(f, newRoute(ns.ID, "kept", "https://kept.example.com"))
	edited := put(f, newRoute(ns.ID, "edited", "https://edited.example.com"))
	gone := put(f, newRoute(ns.ID, "gone", "https://gone.example.com"))
	after := gone.Version
	added := put(f, newRoute(ns.ID, "added", "https://added.example.com"))
	edited.Spec.To = []string{"https://v2.internal"}
	edited = put(f, edited)
	f.del(store.DeleteOp{Kind: store.KindRoute, ID: gone.ID})
	version, err := f.s.Version(f.ctx)
	if err != nil {
		t.Fatal(err)
	}

	sums, err := f.s.IndexSums(f.ctx, after, 3)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(o store.Object, v int64, deleted bool) store.WrittenEntry {
		return store.WrittenEntry{IndexEntry: store.IndexEntry{Kind: o.Kind(), ID: o.GetObjectMeta().ID, Version: v}, Deleted: deleted}
	}
	want := []store.WrittenEntry{entry(added, added.Version, false), entry(edited, edited.Version, false), entry(gone, version, true)}
	assertEqual(t, "written after "+fmt.Sprint(after), want, sums.Written)
	if sums.WrittenOver || sums.After != after || sums.Version != version {
		t.Errorf("over the limit %t, after %d, version %d; want false, %d, %d", sums.WrittenOver, sums.After, sums.Version, after, version)
	}
	if got := sums.Kinds[store.KindRoute]; got != (store.IndexSum{Count: 3, Versions: kept.Version + edited.Version + added.Version}) {
		t.Errorf("route sums %+v with kept, edited and added routes live", got)
	}

	sums, err = f.s.IndexSums(f.ctx, after, 2)
	if err != nil {
		t.Fatal(err)
	}
	if sums.Written != nil || !sums.WrittenOver {
		t.Errorf("three written with a limit of two: listed %v, over the limit %t", sums.Written, sums.WrittenOver)
	}
}

// testApplyStream: the ops handed over one at a time are written in one
// transaction, each answered with the object written, each seeing the
// ones before it, all under one store version.
func testApplyStream(t *testing.T, f *fixture) {
	ns := newNamespace(store.GlobalNamespaceID, "ns")
	ns.ID = uuid.NewString()
	before, err := f.s.Version(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	const routes = 50
	var written []store.Object
	err = f.s.ApplyStream(f.ctx, importer, func(apply func(store.Op) (store.Object, error)) error {
		for _, op := range []store.Op{&store.PutOp{Object: ns}, &store.PutOp{Object: newPolicy(ns.ID, "p")}} {
			obj, err := apply(op)
			if err != nil {
				return err
			}
			written = append(written, obj)
		}
		for i := range routes {
			r := newRoute(ns.ID, fmt.Sprintf("r%d", i), fmt.Sprintf("https://r%d.example.com", i))
			r.Spec.PolicyIds = []string{written[1].GetObjectMeta().ID}
			obj, err := apply(&store.PutOp{Object: r})
			if err != nil {
				return err
			}
			written = append(written, obj)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ApplyStream: %v", err)
	}
	for i, obj := range written {
		m := obj.GetObjectMeta()
		if m.Version != before+int64(i)+1 || m.Origin != store.OriginImport {
			t.Errorf("object %d %q: version %d, origin %s; want %d, import", i, m.Name, m.Version, m.Origin, before+int64(i)+1)
		}
	}
	res, err := f.s.List(f.ctx, store.KindRoute, store.ListQuery{NamespaceID: ns.ID, Limit: 1})
	if err != nil || res.TotalCount != routes {
		t.Fatalf("routes written: %d (%v), want %d", res.TotalCount, err, routes)
	}
	page, err := f.s.Activity(f.ctx, store.ActivityQuery{Subject: importer.Subject, Limit: 1})
	if err != nil || page.TotalCount != routes+2 {
		t.Errorf("activity entries of the stream: %d (%v), want %d", page.TotalCount, err, routes+2)
	}
}

// testApplyStreamIsAtomic: an error of the writer's, or of one of its ops,
// writes nothing of what went before it.
func testApplyStreamIsAtomic(t *testing.T, f *fixture) {
	before, err := f.s.Version(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	twin := func(apply func(store.Op) (store.Object, error)) error {
		if _, err := apply(&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "twin")}); err != nil {
			return err
		}
		_, err := apply(&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "twin")})
		return err
	}
	if err := f.s.ApplyStream(f.ctx, apiActor, twin); store.CodeOf(err) != store.CodeAlreadyExists {
		t.Errorf("a stream whose second op takes the first's name: %v, want %s", err, store.CodeAlreadyExists)
	}
	err = f.s.ApplyStream(f.ctx, apiActor, func(apply func(store.Op) (store.Object, error)) error {
		if _, err := apply(&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "first")}); err != nil {
			return err
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("a stream that stops: %v, want its error", err)
	}
	if err := f.s.ApplyStream(f.ctx, store.Actor{Subject: "x", Origin: store.OriginSystem}, twin); store.CodeOf(err) != store.CodeInvalid {
		t.Errorf("a stream on behalf of the system: %v, want %s", err, store.CodeInvalid)
	}
	if after, err := f.s.Version(f.ctx); err != nil || after != before {
		t.Errorf("refused streams moved the store version from %d to %d (%v)", before, after, err)
	}
}

// testKindsVersion: the version of some kinds moves when one of their
// objects is written or deleted, and only then.
func testKindsVersion(t *testing.T, f *fixture) {
	kinds := []store.Kind{store.KindNamespace, store.KindNamespacePermission}
	read := func() (int64, int) {
		t.Helper()
		v, n, err := f.s.KindsVersion(f.ctx, kinds...)
		if err != nil {
			t.Fatal(err)
		}
		return v, n
	}
	v0, n0 := read()
	ns := f.apply(apiActor, &store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "team")})[0]
	v1, n1 := read()
	if v1 <= v0 || v1 != ns.GetObjectMeta().Version || n1 != n0+1 {
		t.Fatalf("after a namespace: version %d count %d, want %d and %d", v1, n1, ns.GetObjectMeta().Version, n0+1)
	}
	f.apply(apiActor, &store.PutOp{Object: newRoute(ns.GetObjectMeta().ID, "r", "https://r.example.com")})
	if v, n := read(); v != v1 || n != n1 {
		t.Fatalf("a route moved the namespaces' version: %d %d, want %d %d", v, n, v1, n1)
	}
	f.apply(apiActor, &store.PutOp{Object: &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: ns.GetObjectMeta().ID},
		SubjectType: store.SubjectUser, SubjectID: "someone", Role: store.RoleViewer}})
	v2, _ := read()
	if v2 <= v1 {
		t.Fatalf("a permission did not move the version: %d after %d", v2, v1)
	}
	other := f.apply(apiActor, &store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "other")})[0]
	v3, _ := read()
	f.del(store.DeleteOp{Kind: store.KindNamespace, ID: other.GetObjectMeta().ID})
	if v4, _ := read(); v4 <= v3 {
		t.Fatalf("a delete did not move the version: %d after %d", v4, v3)
	}
}

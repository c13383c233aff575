package reconcile

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestRereadFindsWhatTheFeedMissed checks the resync path: objects written,
// changed and deleted since the copy was made are found by comparing
// versions, and the compiled copy ends equal to a compilation of a fresh
// load.
func TestRereadFindsWhatTheFeedMissed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
	put := putter(t, s)
	route := func(name, from string) *store.Route {
		return &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: name},
			Spec: &configpb.Route{From: from, To: []string{"https://upstream.internal"}}}
	}
	kept := put(route("kept", "https://kept.example.com")).(*store.Route)
	changed := put(route("changed", "https://changed.example.com")).(*store.Route)
	gone := put(route("gone", "https://gone.example.com")).(*store.Route)

	src := newSource(s)
	if _, full, _, err := src.refresh(ctx, nil, nil); err != nil || full == sweepNone {
		t.Fatalf("first refresh: full=%v, %v", full, err)
	}
	d := src.d
	changed.Spec.To = []string{"https://v2.internal"}
	put(changed)
	if _, err := s.Apply(ctx, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.DeleteOp{Kind: store.KindRoute, ID: gone.ID}); err != nil {
		t.Fatal(err)
	}
	added := put(route("added", "https://added.example.com")).(*store.Route)
	put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "p"}, PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true})

	d.invalidate()
	keys, full, err := d.refresh(ctx)
	if err != nil || !full {
		t.Fatalf("reread: full=%v, %v", full, err)
	}
	touched := map[compile.ObjectKey]bool{}
	for _, k := range keys {
		touched[k] = true
	}
	for _, id := range []string{changed.ID, gone.ID, added.ID, kept.ID} {
		if !touched[compile.ObjectKey{Kind: store.KindRoute, ID: id}] {
			t.Errorf("route %s not reported (the enforced policy touches every route)", id)
		}
	}
	st, err := s.Load(ctx, store.WithSecrets())
	if err != nil {
		t.Fatal(err)
	}
	st.Settings = nil
	want := compile.Compile(st)
	got := d.compiler.Result()
	if diff := gocmp.Diff(len(want.Records), len(got.Records)); diff != "" {
		t.Fatalf("records (-fresh +reread): %s", diff)
	}
	for i := range want.Records {
		if string(want.Records[i].Data.Value) != string(got.Records[i].Data.Value) || want.Records[i].Id != got.Records[i].Id {
			t.Errorf("record %s differs from a fresh compilation", want.Records[i].Id)
		}
	}
	if d.version != st.Version {
		t.Errorf("copy at version %d, store at %d", d.version, st.Version)
	}
}

// The compiled copy's sums follow what it compiles, so that they agree
// with the store's after every refresh, and a write the copy missed makes
// them disagree even once the copy's version has caught up.
func TestSumsAgreeUnlessAWriteWasMissed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
	put := putter(t, s)
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	del := func(k store.Kind, id string) {
		if _, err := s.Apply(ctx, actor, &store.DeleteOp{Kind: k, ID: id, Cascade: true}); err != nil {
			t.Fatal(err)
		}
	}
	route := func(ns, name string) *store.Route {
		return &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
			Spec: &configpb.Route{From: "https://" + name + ".example.com", To: []string{"https://upstream.internal"}}}
	}
	src := newSource(s)
	agrees := func(when string, want bool) {
		t.Helper()
		sums, err := s.IndexSums(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := src.agrees(sums); got != want {
			t.Errorf("%s: sums agree %v, want %v (store %v at %d, copy %v at %d)", when, got, want, sums.Kinds, sums.Version, src.d.sums, src.d.version)
		}
	}
	refresh := func() {
		t.Helper()
		if _, _, _, err := src.refresh(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	a := put(route(store.GlobalNamespaceID, "a")).(*store.Route)
	b := put(route(store.GlobalNamespaceID, "b")).(*store.Route)
	refresh()
	agrees("after the first load", true)

	team := put(&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "team"}}).(*store.Namespace)
	put(route(team.ID, "c"))
	put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "p"}, PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true})
	a.Spec.To = []string{"https://v2.internal"}
	a = put(a).(*store.Route)
	a.Spec.To = []string{"https://v3.internal"}
	a = put(a).(*store.Route)
	del(store.KindRoute, b.ID)
	agrees("before the copy compiled the writes", false)
	refresh()
	agrees("after a refresh", true)
	del(store.KindNamespace, team.ID)
	refresh()
	agrees("after a namespace deleted with its contents", true)

	// Missed: the copy is told it is at the store's version without
	// compiling what came after its own.
	catchUp := func() {
		v, err := s.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		src.mu.Lock()
		src.d.version = v
		src.mu.Unlock()
	}
	a.Spec.To = []string{"https://v4.internal"}
	a = put(a).(*store.Route)
	catchUp()
	agrees("an update missed", false)
	refresh() // reads nothing after the version it was given
	src.invalidate()
	refresh()
	agrees("after reading everything again", true)
	del(store.KindRoute, a.ID)
	catchUp()
	agrees("a deletion missed", false)
}

// putter returns a function that writes one object to s and returns it
// as written.
func putter(t *testing.T, s store.Store) func(store.Object) store.Object {
	return func(o store.Object) store.Object {
		t.Helper()
		out, err := s.Apply(t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.PutOp{Object: o})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
}

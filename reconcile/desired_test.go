package reconcile

import (
	"fmt"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

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

// The compiled copy's sums agree with the store's sums:
//   - after every refresh;
//   - before one, the objects written since the copy's version set aside,
//     unless more were written than the store was asked to list;
//   - after refreshes that took the copy past the sums' snapshot, with the
//     copy as it was then, unless it no longer remembers so far back.
//
// A write the copy missed makes them disagree, even once the copy's
// version has caught up, with writes after it not yet compiled or
// compiled since.
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
	sumsAfter := func(after int64, limit int) *store.IndexSums {
		t.Helper()
		sums, err := s.IndexSums(ctx, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		return sums
	}
	check := func(when string, sums *store.IndexSums, want bool) {
		t.Helper()
		if got := src.agrees(sums); got != want {
			t.Errorf("%s: sums agree %v, want %v (store %v at %d, %d written after %d; copy %v at %d)",
				when, got, want, sums.Kinds, sums.Version, len(sums.Written), sums.After, src.d.sums, src.d.version)
		}
	}
	agreesAfter := func(when string, after int64, limit int, want bool) {
		t.Helper()
		check(when, sumsAfter(after, limit), want)
	}
	agrees := func(when string, want bool) {
		t.Helper()
		agreesAfter(when, src.version(), 100, want)
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
	// The writes since the copy's version, to five objects, are set aside.
	agrees("before the copy compiled the writes", true)
	agreesAfter("before the copy compiled the writes, four objects listed at most", src.version(), 4, false)
	agreesAfter("before the copy compiled the writes, listed after a later version", src.version()+1, 100, false)
	refresh()
	agrees("after a refresh", true)
	del(store.KindNamespace, team.ID)
	refresh()
	agrees("after a namespace deleted with its contents", true)

	// Read while the copy was behind, compared once refreshes took it
	// past their snapshot: the copy as it was then is compared.
	e := put(route(store.GlobalNamespaceID, "e")).(*store.Route)
	early := sumsAfter(src.version(), 100)
	e.Spec.To = []string{"https://v2.internal"}
	put(e)
	put(route(store.GlobalNamespaceID, "f"))
	refresh()
	check("read before a refresh that passed them", early, true)
	del(store.KindRoute, e.ID)
	refresh()
	check("read before two refreshes that passed them", early, true)
	refresh() // changes nothing, and is not remembered
	check("read before three refreshes that passed them, one of which changed nothing", early, true)
	bulk := make([]store.Op, pastMax+1)
	for i := range bulk {
		bulk[i] = &store.PutOp{Object: route(store.GlobalNamespaceID, fmt.Sprintf("bulk-%d", i))}
	}
	if _, err := s.Apply(ctx, actor, bulk...); err != nil {
		t.Fatal(err)
	}
	refresh() // too much to remember: every refresh before it is forgotten
	check("read before a refresh of more than the copy remembers", early, false)
	agrees("after a refresh of more than the copy remembers", true)

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
	put(route(store.GlobalNamespaceID, "d"))
	agrees("an update missed, with a write after it not yet compiled", false)
	agreesAfter("an update missed, with a write after it not yet compiled, listed from before the missed one", src.version()-1, 100, false)
	refresh() // reads nothing after the version it was given
	src.invalidate()
	refresh()
	agrees("after reading everything again", true)
	del(store.KindRoute, a.ID)
	catchUp()
	agrees("a deletion missed", false)
	a2 := put(route(store.GlobalNamespaceID, "a")).(*store.Route)
	agrees("a deletion missed, with a write after it not yet compiled", false)
	a2.Spec.To = []string{"https://v5.internal"}
	put(a2)
	agrees("a deletion missed, with two writes after it not yet compiled", false)
	missed := sumsAfter(src.version(), 100)
	put(route(store.GlobalNamespaceID, "g"))
	refresh()
	check("a deletion missed, read before a refresh that passed them", missed, false)
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

// TestChecksOfManyRoutesAreDeferred checks that a change of what more than
// deferChecksAbove routes reference leaves their checks for the refreshes
// after it, deferredSlice a refresh, each route keeping its last record
// meanwhile, and that a refresh taking away the record of a policy those
// routes use (it became invalid) checks every one left, so that the pass
// writes the routes before the policy's record goes.
func TestChecksOfManyRoutesAreDeferred(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
	put := putter(t, s)
	team := put(&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Team"}})
	policy := func(name string) *store.Policy {
		return put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: team.GetObjectMeta().ID, Name: name}, PPL: "allow:\n  or:\n    - accept: true\n"}).(*store.Policy)
	}
	own, guard := policy("own"), policy("guard")
	const n = deferChecksAbove + 2*deferredSlice + 10
	var ops []store.Op
	for i := range n {
		ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: team.GetObjectMeta().ID, Name: fmt.Sprint("r", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://r%d.example.com", i), To: []string{"https://upstream.internal"}, PolicyIds: []string{own.ID}}}})
	}
	written, err := s.Apply(ctx, store.Actor{Subject: "test", Origin: store.OriginAPI}, ops...)
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(s)
	if _, _, _, err := src.refresh(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	d := src.d
	// guarded counts the routes whose record has the guard, and checks
	// that every other route's record is as it was.
	guarded := func() int {
		t.Helper()
		count := 0
		for _, o := range written {
			rec := d.compiler.Record(compile.ObjectKey{Kind: store.KindRoute, ID: o.GetObjectMeta().ID})
			var r configpb.Route
			if rec == nil || rec.GetData().UnmarshalTo(&r) != nil {
				t.Fatalf("route %s has no record", o.GetObjectMeta().ID)
			}
			switch ids := r.GetPolicyIds(); {
			case slices.Equal(ids, []string{own.ID, guard.ID}):
				count++
			case !slices.Equal(ids, []string{own.ID}):
				t.Fatalf("route %s: policy ids %v", o.GetObjectMeta().ID, ids)
			}
		}
		return count
	}
	routesIn := func(keys []compile.ObjectKey) int {
		return len(slices.DeleteFunc(keys, func(k compile.ObjectKey) bool { return k.Kind != store.KindRoute }))
	}

	guard.Enforced = true
	put(guard)
	for i := 1; i <= 2; i++ {
		keys, _, err := d.refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := routesIn(keys); got != deferredSlice {
			t.Fatalf("refresh %d reported %d routes, want %d", i, got, deferredSlice)
		}
		if got, want := d.compiler.Deferred(), n-i*deferredSlice; got != want {
			t.Fatalf("after refresh %d: %d routes deferred, want %d", i, got, want)
		}
		if got := guarded(); got != i*deferredSlice {
			t.Fatalf("after refresh %d: %d routes guarded, want %d", i, got, i*deferredSlice)
		}
	}

	own.PPL = "allow:\n  and:\n    - bogus: 1\n"
	put(own)
	keys, _, err := d.refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.compiler.Deferred(); got != 0 {
		t.Fatalf("after the policy's record went %d routes are still deferred", got)
	}
	if got := routesIn(slices.Clone(keys)); got != n {
		t.Fatalf("the policy's record going reported %d routes, want all %d", got, n)
	}
	view := NewView()
	held := &pb.Record{Type: compile.RecordTypePolicy, Id: own.ID, Version: 1, Data: &anypb.Any{TypeUrl: compile.RecordTypePolicy}}
	if _, err := view.ObserveWritten(held, held); err != nil {
		t.Fatal(err)
	}
	if canSlice(d.compiler, keys, view, store.DefaultClusterID) {
		t.Fatal("the policy's record going may be written in slices")
	}
	for _, o := range written {
		if st, _ := d.compiler.Status(compile.ObjectKey{Kind: store.KindRoute, ID: o.GetObjectMeta().ID}); st.Valid {
			t.Fatalf("route %s is valid with its policy invalid", o.GetObjectMeta().ID)
		}
	}
}

// TestUncheckedCountsWhatAnotherLoopFound: the routes one loop's refresh
// checks after a change deferred them are found changed for every loop,
// without a store version that would wake the others: a loop is not done
// while any of them waits for its pass, though none is left to check.
func TestUncheckedCountsWhatAnotherLoopFound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, a, b, guard := twoLoops(t, deferChecksAbove+10)
	if n := src.unchecked(b); n != 0 {
		t.Fatalf("after both loops' refreshes, %d objects wait for b", n)
	}
	guard()
	for refreshes := 0; refreshes == 0 || src.d.compiler.Deferred() > 0; refreshes++ {
		if _, _, _, err := src.refresh(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if refreshes == 0 && src.d.compiler.Deferred() == 0 {
			t.Fatal("the policy deferred no check")
		}
	}
	if n := src.unchecked(b); n < deferChecksAbove {
		t.Fatalf("with every route checked by a's refreshes, %d objects wait for b, want every route", n)
	}
	if _, _, _, err := src.refresh(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if n := src.unchecked(b); n != 0 {
		t.Fatalf("after b's refresh, %d objects wait for it", n)
	}
}

// TestFirstPassChecksEveryRouteLeft: a pass that compares every object
// (a lead's first) first checks every route a change left, so as not to
// write their last outcome over what a newer compilation wrote; the other
// loops find them changed.
func TestFirstPassChecksEveryRouteLeft(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, a, b, guard := twoLoops(t, deferChecksAbove+deferredSlice+10)
	guard()
	if _, _, _, err := src.refresh(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	left := src.d.compiler.Deferred()
	if left == 0 {
		t.Fatal("the policy deferred no check")
	}
	if _, _, _, err := src.refresh(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	left = src.d.compiler.Deferred()
	keys, err := src.checkDeferred(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(keys); got != left || src.d.compiler.Deferred() != 0 {
		t.Fatalf("checked %d routes, %d left; want all %d", got, src.d.compiler.Deferred(), left)
	}
	if n := src.unchecked(b); n < left {
		t.Fatalf("%d objects wait for the other loop, want the %d routes checked", n, left)
	}
	if n := src.unchecked(a); n != deferredSlice {
		t.Fatalf("%d objects wait for the loop that checked them, want the %d the other loop's refresh checked", n, deferredSlice)
	}
}

// twoLoops stores n routes in the Global namespace, and returns a source
// that two loops, a and b, have refreshed from, and a function that
// stores a policy enforced on Global.
func twoLoops(t *testing.T, n int) (src *source, a, b *Loop, guard func()) {
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
	var ops []store.Op
	for i := range n {
		ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprint("r", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://r%d.example.com", i), To: []string{"https://upstream.internal"}}}})
	}
	if _, err := s.Apply(ctx, store.Actor{Subject: "test", Origin: store.OriginAPI}, ops...); err != nil {
		t.Fatal(err)
	}
	src = newSource(s)
	a, b = &Loop{}, &Loop{}
	src.subscribe(a)
	src.subscribe(b)
	for _, l := range []*Loop{a, b, a} {
		if _, _, _, err := src.refresh(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	put := putter(t, s)
	return src, a, b, func() {
		put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "guard"}, PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true})
	}
}

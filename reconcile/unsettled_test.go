package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// A resync's sweep compares on the loop only the objects whose record or
// status a pass would change, in the order listed; a converged loop's
// sweep is empty, and not nil (which would list every object again).
func TestUnsettledListsWhatAPassWouldChange(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 12)
	l, c, view, keys, st := w.l, w.c, w.view, w.keys, w.st
	if got := len(l.statuses.invalid); got != 1 {
		t.Fatalf("%d invalid objects, want 1", got)
	}

	got, err := l.unsettledSweep(t.Context(), keys, true, nil, view)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("converged: %v, %v; want an empty list", got, err)
	}

	key := func(i int) compile.ObjectKey { return compile.ObjectKey{Kind: store.KindRoute, ID: st.Routes[i].ID} }
	routes := recordTypes[slices.IndexFunc(recordTypes, func(rt recordType) bool { return rt.Kind == store.KindRoute })].Type
	// Route 2's record holds other data than compiled, and no drift was
	// noticed.
	other, _ := c.Changed(key(5), nil)
	other = proto.CloneOf(other)
	w.version++
	other.Id, other.Version = key(2).ID, w.version
	if _, err := view.ObserveWritten(other, other); err != nil {
		t.Fatal(err)
	}
	// Route 4's record is missing.
	view.dropRecord(routes, key(4).ID)
	// Route 7's status was handed over at an older version.
	view.changeStatus(key(7), func(s *writtenStatus) { s.objectVersion-- })
	// A record of an object the store no longer has.
	w.version++
	gone := &pb.Record{Type: routes, Id: "c0000000-0000-4000-8000-00000000ffff", Version: w.version, Data: other.GetData()}
	if _, err := view.ObserveWritten(gone, gone); err != nil {
		t.Fatal(err)
	}
	goneKey := compile.ObjectKey{Kind: store.KindRoute, ID: gone.Id}
	// The sweep's order: what the compiled copy holds, then what only the
	// view holds.
	listed := append(slices.Clone(keys), goneKey)

	got, err = l.unsettledSweep(t.Context(), keys, true, nil, view)
	want := []compile.ObjectKey{key(2), key(4), key(7), goneKey}
	slices.SortFunc(want, func(a, b compile.ObjectKey) int { return slices.Index(listed, a) - slices.Index(listed, b) })
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("unsettled: %v, %v; want %v", got, err, want)
	}

	// What a pass does for them settles them.
	plan, err := Diff(&clusterTarget{c: c, cluster: store.DefaultClusterID}, got, view, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Puts != 2 || plan.Deletes != 1 {
		t.Errorf("the pass's plan: %d puts, %d deletes; want 2 and 1", plan.Puts, plan.Deletes)
	}
	w.write(t, plan)
	l.statuses.compute(nil, c, got, view, l.owns(c))
	if got, err = l.unsettledSweep(t.Context(), keys, true, nil, view); err != nil || len(got) != 0 {
		t.Errorf("after the pass: %v, %v; want nothing", got, err)
	}
}

// A sweep looks up the view's routes in the compiled copy only when the
// routes it compared do not account for every route record of the view; a
// view that changed meanwhile is looked through too, though the counts
// agree: here one of the records counted is gone by the end, as many as
// the one record of a route the store no longer has.
func TestUnsettledSweepFindsWhatOnlyAChangingViewHolds(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 12)
	l, view, keys := w.l, w.view, w.keys
	gone := w.recordOfAGoneRoute(t)
	removed := false
	l.betweenSlices = func() {
		if removed {
			return
		}
		removed = true
		w.version++
		tombstone := &pb.Record{Type: compile.RecordTypeRoute, Id: w.st.Routes[0].ID, Version: w.version, DeletedAt: timestamppb.Now()}
		if changed, err := view.Observe(tombstone); err != nil || !changed {
			t.Fatalf("removing route 0's record: %v, %v", changed, err)
		}
	}
	got, err := l.unsettledSweep(t.Context(), keys, true, nil, view)
	if err != nil || !removed {
		t.Fatalf("unsettledSweep: %v (a slice compared: %v)", err, removed)
	}
	if !slices.Contains(got, compile.ObjectKey{Kind: store.KindRoute, ID: gone.Id}) {
		t.Errorf("unsettledSweep: %v; want the record of the route gone among them", got)
	}
}

// A walk of the compiled copy made while it changed may list a route
// twice, and then the routes it found in the view can number as many as
// the view holds though one of those is a route the copy lacks: such a
// walk (not exact) has the view's routes looked up all the same.
func TestUnsettledSweepAfterAWalkThatWasNotExact(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 12)
	l, view := w.l, w.view
	gone := w.recordOfAGoneRoute(t)
	twice := compile.ObjectKey{Kind: store.KindRoute, ID: w.st.Routes[0].ID}
	keys := append(slices.Clone(w.keys), twice)
	got, err := l.unsettledSweep(t.Context(), keys, false, nil, view)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, compile.ObjectKey{Kind: store.KindRoute, ID: gone.Id}) {
		t.Errorf("unsettledSweep: %v; want the record of the route gone among them", got)
	}
}

// What only the view holds comes after what the compiled copy holds in a
// sweep, routes before the records of the other kinds, which routes may
// use and which go only after them.
func TestUnsettledSweepListsWhatOnlyTheViewHoldsLast(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 4)
	l, c, view := w.l, w.c, w.view
	data, _ := c.Changed(compile.ObjectKey{Kind: store.KindRoute, ID: w.st.Routes[0].ID}, nil)
	w.version++
	policy := &pb.Record{Type: compile.RecordTypePolicy, Id: "d0000000-0000-4000-8000-00000000ffff", Version: w.version, Data: &anypb.Any{TypeUrl: compile.RecordTypePolicy, Value: []byte{1}}}
	w.version++
	route := &pb.Record{Type: compile.RecordTypeRoute, Id: "c0000000-0000-4000-8000-00000000ffff", Version: w.version, Data: data.GetData()}
	for _, rec := range []*pb.Record{policy, route} {
		if _, err := view.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
	}
	// Route 1's status handed over at an older version: due among those
	// the compiled copy holds.
	held := compile.ObjectKey{Kind: store.KindRoute, ID: w.st.Routes[1].ID}
	view.changeStatus(held, func(s *writtenStatus) { s.objectVersion-- })

	found, err := l.src.findMissing(t.Context(), nil, 1, view, l.giveWay, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.unsettledSweep(t.Context(), found.sweep, found.sweepExact, found.viewOnly, view)
	want := []compile.ObjectKey{held, {Kind: store.KindRoute, ID: route.Id}, {Kind: store.KindPolicy, ID: policy.Id}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("unsettledSweep: %v, %v; want %v", got, err, want)
	}
}

// settled is a loop's compiled copy, view and statuses after a pass that
// wrote every record and status of n routes, the last of them invalid.
type settled struct {
	l       *Loop
	c       *compile.Compiler
	view    *View
	keys    []compile.ObjectKey
	st      *store.State
	version uint64
}

// recordOfAGoneRoute has the view observe a record of a route the store
// no longer has (the compiled copy lacks it), with the data of route 0's,
// and returns it.
func (w *settled) recordOfAGoneRoute(t testing.TB) *pb.Record {
	t.Helper()
	other, _ := w.c.Changed(compile.ObjectKey{Kind: store.KindRoute, ID: w.st.Routes[0].ID}, nil)
	w.version++
	gone := &pb.Record{Type: compile.RecordTypeRoute, Id: "c0000000-0000-4000-8000-00000000ffff", Version: w.version, Data: other.GetData()}
	if _, err := w.view.ObserveWritten(gone, gone); err != nil {
		t.Fatal(err)
	}
	return gone
}

func newSettled(t testing.TB, n int) *settled {
	global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global", Version: 1}}
	st := &store.State{Namespaces: []*store.Namespace{global}}
	for i := range n {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1)
		st.Routes = append(st.Routes, &store.Route{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: global.ID, Name: id, Version: int64(i + 2)},
			Spec: &configpb.Route{From: "https://r" + fmt.Sprint(i) + ".example.com", To: []string{"https://app.internal"}}})
	}
	st.Routes[n-1].Spec.To = []string{"::not a url"} // invalid: an error status, no record
	c := compile.NewCompiler()
	c.Reset(st)
	src := newSource(nil)
	src.d.compiler = c
	w := &settled{c: c, st: st, view: NewView(), version: 100,
		l: &Loop{src: src, statuses: &statusWriter{invalid: map[compile.ObjectKey]bool{}},
			opts: Options{Cluster: store.DefaultClusterID}},
		keys: append(c.Keys(), compile.ObjectKey{Kind: store.KindNamespace, ID: global.ID})}
	plan, err := Diff(&clusterTarget{c: c, cluster: store.DefaultClusterID}, w.keys, w.view, time.Now())
	if err != nil || plan.Puts != n-1 {
		t.Fatalf("first plan: %d puts, %v; want %d (one route is invalid)", plan.Puts, err, n-1)
	}
	w.write(t, plan)
	w.l.statuses.compute(nil, c, w.keys, w.view, w.l.owns(c))
	return w
}

// write applies a plan to the view as the databroker's answers would.
func (w *settled) write(t testing.TB, plan *Plan) {
	for _, rec := range plan.Writes {
		w.version++
		rec = proto.CloneOf(rec) // the compiler's own, as a Put sends it
		rec.Version = w.version
		if _, err := w.view.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkUnsettled times a resync's look at every object of a converged
// loop, off the loop.
func BenchmarkUnsettled(b *testing.B) {
	w := newSettled(b, 100_000)
	for b.Loop() {
		if got, err := w.l.unsettledSweep(b.Context(), w.keys, true, nil, w.view); err != nil || len(got) != 0 {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(w.keys)), "ns/object")
}

// A resync reads each route once (unsettledRoutes) where a pass computes
// its status and diffs its record: both find the same routes unsettled,
// for the loop of the default cluster and for another cluster's, whatever
// differs between the compiled copy, the view and the statuses.
func TestUnsettledRoutesAgreeWithAPass(t *testing.T) {
	t.Parallel()
	const eu = "e0000000-0000-4000-8000-000000000001"
	global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global", Version: 1}}
	euNS := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: eu, NamespaceID: global.ID, Name: "eu", Version: 1}, Cluster: true}
	st := &store.State{Namespaces: []*store.Namespace{global, euNS}}
	for i := range 24 {
		ns := global.ID
		if i%3 == 0 {
			ns = eu
		}
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1)
		st.Routes = append(st.Routes, &store.Route{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: ns, Name: id, Version: int64(i + 2)},
			Spec: &configpb.Route{From: "https://r" + fmt.Sprint(i) + ".example.com", To: []string{"https://app.internal"}}})
	}
	for _, i := range []int{4, 9} {
		st.Routes[i].Spec.To = []string{"::not a url"} // invalid: an error status, no record
	}
	c := compile.NewCompiler()
	c.Reset(st)
	src := newSource(nil)
	src.d.compiler = c
	route := func(i int) compile.ObjectKey { return compile.ObjectKey{Kind: store.KindRoute, ID: st.Routes[i].ID} }
	gone := compile.ObjectKey{Kind: store.KindRoute, ID: "c0000000-0000-4000-8000-00000000ffff"}
	keys := []compile.ObjectKey{gone}
	for i := range st.Routes {
		keys = append(keys, route(i))
	}
	recordType := compile.RecordTypeRoute

	type world struct {
		l       *Loop
		view    *View
		version uint64
	}
	observe := func(t *testing.T, w *world, rec *pb.Record) {
		w.version++
		rec = proto.CloneOf(rec)
		rec.Version = w.version
		if _, err := w.view.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
	}
	var worlds []*world
	for _, cluster := range []string{store.DefaultClusterID, eu} {
		w := &world{view: NewView(), version: 100, l: &Loop{src: src, opts: Options{Cluster: cluster},
			statuses: &statusWriter{invalid: map[compile.ObjectKey]bool{}}}}
		plan, err := Diff(&clusterTarget{c: c, cluster: cluster}, keys, w.view, time.Now())
		if err != nil || plan.Puts == 0 {
			t.Fatalf("cluster %s: first plan %d puts, %v", cluster, plan.Puts, err)
		}
		for _, rec := range plan.Writes {
			observe(t, w, rec)
		}
		w.l.statuses.compute(nil, c, keys, w.view, w.l.owns(c))
		worlds = append(worlds, w)
	}
	record := func(i int) *pb.Record {
		rec, _ := c.Changed(route(i), nil)
		return rec
	}
	// The default cluster's loop looks at the routes first, the other's
	// compares as a pass first: each meets routes whose records are not
	// encoded yet.
	agree := func(t *testing.T, stage string) (due int) {
		t.Helper()
		now := time.Now()
		for n, w := range worlds {
			if err := src.read(func(c *compile.Compiler) {
				var fast []bool
				var pass map[compile.ObjectKey]bool
				var err error
				if n == 0 {
					fast, _ = w.l.unsettledRoutes(c, keys, w.view, &unsettledScratch{})
					pass, err = w.l.unsettledAsPass(c, keys, w.view, now)
				} else {
					pass, err = w.l.unsettledAsPass(c, keys, w.view, now)
					fast, _ = w.l.unsettledRoutes(c, keys, w.view, &unsettledScratch{})
				}
				if err != nil {
					t.Fatal(err)
				}
				for i, k := range keys {
					if fast[i] != pass[k] {
						t.Errorf("%s, cluster %s, route %s: unsettledRoutes says due %v, a pass %v", stage, w.l.opts.Cluster, k.ID, fast[i], pass[k])
					}
					if pass[k] {
						due++
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
		return due
	}
	if due := agree(t, "settled"); due != 0 {
		t.Fatalf("settled: %d routes due, want none", due)
	}

	def := worlds[0]
	// Another route's data in a record of route 1; route 13's record holds
	// other data at the version its status names, as when what the route
	// uses changed since.
	rec := record(2)
	rec.Id = route(1).ID
	observe(t, def, rec)
	def.view.mu.Lock()
	r := def.view.rows[recordType][route(13).ID]
	r.rec.Digest = compile.DigestOf([]byte("other data"))
	def.view.rows[recordType][route(13).ID] = r
	def.view.mu.Unlock()
	// No record of route 5 (global) nor of route 6 (eu).
	for _, w := range worlds {
		w.view.dropRecord(recordType, route(5).ID)
		w.view.dropRecord(recordType, route(6).ID)
	}
	// No record of route 16 either, and its status handed over as pending
	// since (as after a write that failed).
	def.view.dropRecord(recordType, route(16).ID)
	if changed, _ := def.l.statuses.compute(nil, c, []compile.ObjectKey{route(16)}, def.view, def.l.owns(c)); len(changed) != 1 || changed[0].State != store.SyncPending {
		t.Fatalf("route 16's status: %+v, want it pending", changed)
	}
	// Route 7's status handed over at an older version, route 12's as if
	// synced at another record version.
	for _, w := range worlds {
		w.view.changeStatus(route(7), func(s *writtenStatus) { s.objectVersion-- })
		w.view.changeStatus(route(12), func(s *writtenStatus) { s.recordVersion++ })
	}
	// Invalid route 4 no longer counted invalid; a record of invalid route
	// 9 is its last good one, which stays.
	for _, w := range worlds {
		w.l.statuses.mu.Lock()
		delete(w.l.statuses.invalid, route(4))
		w.l.statuses.mu.Unlock()
		rec := record(10)
		rec.Id = route(9).ID
		observe(t, w, rec)
	}
	// A record of a route the store no longer has, in both databrokers;
	// a record of eu's route 15 in the default cluster's.
	for _, w := range worlds {
		rec := record(2)
		rec.Id = gone.ID
		observe(t, w, rec)
	}
	observe(t, def, record(15))
	// Route 8 edited and route 11 moved to eu, compiled but not yet
	// written: their records are not encoded yet.
	edited := store.Clone(st.Routes[8])
	edited.Version = 100
	edited.Spec.To = []string{"https://elsewhere.internal"}
	moved := store.Clone(st.Routes[11])
	moved.Version = 101
	moved.NamespaceID = eu
	src.mu.Lock()
	c.Apply([]store.Change{{Kind: store.KindRoute, ID: edited.ID, Version: edited.Version, Object: edited},
		{Kind: store.KindRoute, ID: moved.ID, Version: moved.Version, Object: moved}})
	src.mu.Unlock()

	if due := agree(t, "after the changes"); due < 10 {
		t.Errorf("after the changes: %d routes due in both clusters, want at least 10", due)
	}
}

// A view loaded from the databroker, with statuses loaded from the store,
// holds id strings of its own; a resync's look at the routes leaves it
// holding the compiled copy's instead, for the rows with a record and for
// those with only a status, which a million routes would otherwise hold
// once more.
func TestUnsettledKeepsTheCompiledIDs(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 6)
	l, view, keys := w.l, w.view, w.keys
	// As after a restart: every id a copy of its own.
	view.mu.Lock()
	for _, byID := range view.rows {
		for id, r := range maps.Collect(maps.All(byID)) {
			delete(byID, id)
			byID[strings.Clone(id)] = r
		}
	}
	view.mu.Unlock()
	compiled := map[string]*byte{}
	for _, k := range keys {
		compiled[k.ID] = unsafe.StringData(k.ID)
	}
	same := func() (view, statuses int) {
		for _, k := range w.view.Keys() {
			if unsafe.StringData(k.ID) == compiled[k.ID] {
				view++
			}
		}
		for _, k := range w.view.handedKeys() {
			if unsafe.StringData(k.ID) == compiled[k.ID] {
				statuses++
			}
		}
		return view, statuses
	}
	if v, s := same(); v != 0 || s != 0 {
		t.Fatalf("before: %d view ids and %d status ids are the compiled copy's, want none", v, s)
	}

	if got, err := l.unsettledSweep(t.Context(), keys, true, nil, view); err != nil || len(got) != 0 {
		t.Fatalf("unsettled: %v, %v; want nothing", got, err)
	}
	// Five records (the sixth route is invalid: its row holds only a
	// status), six statuses.
	if v, s := same(); v != 5 || s != 6 {
		t.Errorf("after: %d view ids and %d status ids are the compiled copy's, want 5 and 6", v, s)
	}
}

// dropRecord removes the view's record of a record type's id, as if the
// databroker had lost it, and keeps the status handed over for its object.
func (v *View) dropRecord(recordType, id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if r := v.rows[recordType][id]; r.inView {
		r.rec, r.inView = entry{}, false
		v.put(recordType, id, r)
		v.inView[recordType]--
	}
}

// changeStatus changes the status handed over for key, if one was.
func (v *View) changeStatus(key compile.ObjectKey, change func(*writtenStatus)) {
	rt, _ := typeOfKind(key.Kind)
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.rows[rt.Type][key.ID]; ok && r.handed {
		change(&r.status)
		v.rows[rt.Type][key.ID] = r
	}
}

// The routes only the view holds are looked up a part at a time when the
// view changed during a sweep: each is found, across several parts.
func TestUnsettledSweepFindsRoutesOnlyTheViewHoldsInParts(t *testing.T) {
	t.Parallel()
	w := newSettled(t, 4)
	data, _ := w.c.Changed(compile.ObjectKey{Kind: store.KindRoute, ID: w.st.Routes[0].ID}, nil)
	var want []compile.ObjectKey
	for i := range 2*indexSlice + 3 {
		w.version++
		rec := &pb.Record{Type: compile.RecordTypeRoute, Id: fmt.Sprintf("e0000000-0000-4000-8000-%012d", i), Version: w.version, Data: data.GetData()}
		if _, err := w.view.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
		want = append(want, compile.ObjectKey{Kind: store.KindRoute, ID: rec.Id})
	}
	// Not exact: the sweep cannot tell from counts that the view holds no
	// route the compiled copy lacks.
	got, err := w.l.unsettledSweep(t.Context(), w.keys, false, nil, w.view)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, compile.CompareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("the sweep lists %d objects, want the %d routes only the view holds", len(got), len(want))
	}
}

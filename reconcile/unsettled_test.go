package reconcile

import (
	"fmt"
	"slices"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"

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

	got, err := l.unsettled(t.Context(), keys, view)
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
	view.mu.Lock()
	delete(view.records[routes], key(4).ID)
	view.mu.Unlock()
	// Route 7's status was handed over at an older version.
	l.statuses.mu.Lock()
	old, _ := l.statuses.lookup(key(7))
	old.objectVersion--
	l.statuses.note(key(7), old)
	l.statuses.mu.Unlock()
	// A record of an object the store no longer has.
	w.version++
	gone := &pb.Record{Type: routes, Id: "c0000000-0000-4000-8000-00000000ffff", Version: w.version, Data: other.GetData()}
	if _, err := view.ObserveWritten(gone, gone); err != nil {
		t.Fatal(err)
	}
	goneKey := compile.ObjectKey{Kind: store.KindRoute, ID: gone.Id}
	listed := append(slices.Clone(keys), goneKey)

	got, err = l.unsettled(t.Context(), listed, view)
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
	l.statuses.compute(c, got, view, l.owns(c))
	if got, err = l.unsettled(t.Context(), listed, view); err != nil || len(got) != 0 {
		t.Errorf("after the pass: %v, %v; want nothing", got, err)
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
		l: &Loop{src: src, statuses: &statusWriter{written: map[store.Kind]map[string]writtenStatus{}, invalid: map[compile.ObjectKey]bool{}},
			opts: Options{Cluster: store.DefaultClusterID}},
		keys: append(c.Keys(), compile.ObjectKey{Kind: store.KindNamespace, ID: global.ID})}
	plan, err := Diff(&clusterTarget{c: c, cluster: store.DefaultClusterID}, w.keys, w.view, time.Now())
	if err != nil || plan.Puts != n-1 {
		t.Fatalf("first plan: %d puts, %v; want %d (one route is invalid)", plan.Puts, err, n-1)
	}
	w.write(t, plan)
	w.l.statuses.compute(c, w.keys, w.view, w.l.owns(c))
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
		if got, err := w.l.unsettled(b.Context(), w.keys, w.view); err != nil || len(got) != 0 {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(w.keys)), "ns/object")
}

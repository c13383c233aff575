package reconcile

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// collectInParts takes at most n values under each hold, and a map changed
// between two holds still yields each value present throughout once.
func TestCollectInParts(t *testing.T) {
	t.Parallel()
	const stable, n = 12_345, 1000
	m := map[string]bool{}
	for i := range stable {
		m[fmt.Sprint("s", i)] = true
	}
	for i := range 20 {
		m[fmt.Sprint("gone", i)] = true
	}
	walk := func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
	holds := 0
	got, err := collectInParts(walk, n, func(part func()) error {
		holds++
		part()
		// A change between two parts, as whoever waits for the lock
		// would make it.
		delete(m, fmt.Sprint("gone", holds))
		m[fmt.Sprint("new", holds)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
	}
	for i := range stable {
		if k := fmt.Sprint("s", i); seen[k] != 1 {
			t.Fatalf("%s yielded %d times, want once", k, seen[k])
		}
	}
	if others := len(got) - stable; others > 40 {
		t.Errorf("%d values beyond the stable ones, want at most the 40 that came and went", others)
	}
	if want := (len(got) + n) / n; holds != want {
		t.Errorf("%d holds for %d values, want %d: %d at most under each", holds, len(got), want, n)
	}
}

// A walk of the compiled copy in parts lists every object it held, once,
// with the read lock let go between parts (an edit made there shows), and
// fails once the copy is replaced.
func TestSourceKeysInParts(t *testing.T) {
	t.Parallel()
	const routes = 3*indexSlice + 17
	s := newSource(nil)
	c := compile.NewCompiler()
	changes := make([]store.Change, routes)
	for i := range changes {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)
		changes[i] = store.Change{Kind: store.KindRoute, ID: id, Object: &store.Route{
			ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprint("r", i), Version: 1}}}
	}
	c.Apply(changes)
	s.d.compiler = c
	want := c.Keys()

	parts := 0
	added := compile.ObjectKey{Kind: store.KindRoute, ID: "c0000000-0000-4000-8000-999999999999"}
	s.betweenParts = func() {
		parts++
		if parts == 1 {
			// Takes the write lock: it waits if the walk still held
			// the read lock.
			s.mu.Lock()
			c.Apply([]store.Change{{Kind: store.KindRoute, ID: added.ID, Object: &store.Route{
				ObjectMeta: store.ObjectMeta{ID: added.ID, NamespaceID: store.GlobalNamespaceID, Name: "added", Version: 1}}}})
			s.mu.Unlock()
		}
	}
	got, err := s.keys()
	if err != nil {
		t.Fatal(err)
	}
	if parts != len(want)/indexSlice+1 {
		t.Errorf("%d parts for %d objects, want %d", parts, len(want), len(want)/indexSlice+1)
	}
	got = slices.DeleteFunc(got, func(k compile.ObjectKey) bool { return k == added }) // may be listed or not
	slices.SortFunc(got, compareKeys)
	slices.SortFunc(want, compareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("walked %d objects, want the %d held, each once", len(got), len(want))
	}

	// A copy replaced between two parts (a new lead) fails the walk.
	s.betweenParts = func() {
		s.mu.Lock()
		s.d.compiler = compile.NewCompiler()
		s.mu.Unlock()
	}
	s.d.compiler = c
	if _, err := s.keys(); !errors.Is(err, errReplaced) {
		t.Errorf("walk of a replaced copy: %v, want %v", err, errReplaced)
	}
}

func compareKeys(a, b compile.ObjectKey) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
}

// The view lists the records of one type, and only those, each once
// (keysOfType walks them in parts).
func TestViewKeysOfType(t *testing.T) {
	t.Parallel()
	v := NewView()
	routes, _ := typeOfKind(store.KindRoute)
	policies, _ := typeOfKind(store.KindPolicy)
	var want []compile.ObjectKey
	for i := range 2*indexSlice + 3 {
		for _, rt := range []recordType{routes, policies} {
			if rt.Kind == store.KindPolicy && i%100 != 0 {
				continue
			}
			rec := &pb.Record{Type: rt.Type, Id: fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), Version: 1,
				Data: &anypb.Any{TypeUrl: rt.Type, Value: []byte{1}}}
			if _, err := v.ObserveWritten(rec, rec); err != nil {
				t.Fatal(err)
			}
			if rt.Kind == store.KindRoute {
				want = append(want, compile.ObjectKey{Kind: store.KindRoute, ID: rec.Id})
			}
		}
	}
	got := v.keysOfType(routes)
	slices.SortFunc(got, compareKeys)
	slices.SortFunc(want, compareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("keysOfType(route) listed %d keys, want the %d routes, each once", len(got), len(want))
	}
}

package reconcile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// collectInParts takes at most n values under each hold, and a map changed
// between two holds, grown even, still yields once each value present
// throughout.
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
	holds, added := 0, 0
	got, err := collectInParts(walk, n, make([]string, 0, len(m)), func(part func()) error {
		holds++
		part()
		// Changes between two parts, as whoever waits for the lock would
		// make them: one value goes, and after each of the first five
		// parts thousands come (30,000 in all), which grows the map.
		delete(m, fmt.Sprint("gone", holds))
		for range 2000 * max(6-holds, 0) {
			m[fmt.Sprint("new", added)] = true
			added++
		}
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
	for k, times := range seen {
		if times > 1 || !strings.HasPrefix(k, "s") && !strings.HasPrefix(k, "gone") && !strings.HasPrefix(k, "new") {
			t.Errorf("%s yielded %d times", k, times)
		}
	}
	if want := (len(got) + n) / n; holds != want {
		t.Errorf("%d holds for %d values, want %d: %d at most under each", holds, len(got), want, n)
	}
}

// A walk of the compiled copy in parts lists every object it held, once,
// letting go of the read lock between parts; it says whether a route left
// the copy meanwhile, and fails once the copy is replaced or dropped.
func TestSourceKeysInParts(t *testing.T) {
	t.Parallel()
	const routes = 3*indexSlice + 17
	s := newSource(nil)
	c := compile.NewCompiler()
	route := func(i, version int) store.Change {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)
		return store.Change{Kind: store.KindRoute, ID: id, Object: &store.Route{
			ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprint("r", i), Version: int64(version)}}}
	}
	changes := make([]store.Change, routes)
	for i := range changes {
		changes[i] = route(i, 1)
	}
	c.Apply(changes)
	s.d.compiler = c
	want := c.Keys()
	slices.SortFunc(want, compile.CompareKeys)
	walk := func(between func(part int)) ([]compile.ObjectKey, bool, error) {
		parts := 0
		s.betweenParts = func() {
			parts++
			if !s.mu.TryLock() {
				t.Fatal("the read lock is held between two parts")
			}
			defer s.mu.Unlock()
			between(parts)
		}
		got, exact, err := s.keys(t.Context(), nil)
		if err == nil && parts != len(want)/indexSlice+1 {
			t.Errorf("%d parts for %d objects, want %d", parts, len(want), len(want)/indexSlice+1)
		}
		slices.SortFunc(got, compile.CompareKeys)
		return got, exact, err
	}

	got, exact, err := walk(func(int) {})
	if err != nil || !exact || !slices.Equal(got, want) {
		t.Errorf("walk: %d objects, exact %v, %v; want the %d held, each once, exact", len(got), exact, err, len(want))
	}

	// Every third route deleted, which leaves holes in the map where a
	// route taken out and put back could land; then every other route
	// edited between two parts, as the loop's passes would: each keeps
	// its place, is listed once, and the walk is exact.
	var deletions []store.Change
	for i := 0; i < routes; i += 3 {
		deletions = append(deletions, store.Change{Kind: store.KindRoute, ID: route(i, 1).ID})
	}
	c.Apply(deletions)
	want = c.Keys()
	slices.SortFunc(want, compile.CompareKeys)
	got, exact, err = walk(func(part int) {
		if part == 1 {
			var edits []store.Change
			for i := range routes {
				if i%3 != 0 {
					edits = append(edits, route(i, 2))
				}
			}
			c.Apply(edits)
		}
	})
	if err != nil || !exact || !slices.Equal(got, want) {
		t.Errorf("walk with edits: %d objects, exact %v, %v; want the %d held, each once, exact", len(got), exact, err, len(want))
	}

	// A route deleted between two parts (and added again) makes the walk
	// not exact.
	_, exact, err = walk(func(part int) {
		if part == 1 {
			c.Apply([]store.Change{{Kind: store.KindRoute, ID: route(1, 1).ID}})
			c.Apply([]store.Change{route(1, 3)})
		}
	})
	if err != nil || exact {
		t.Errorf("walk with a route deleted and added: exact %v, %v; want not exact", exact, err)
	}

	// A copy replaced (reloaded) or dropped (a failed refresh) between two
	// parts fails the walk.
	for _, replacement := range []*compile.Compiler{compile.NewCompiler(), nil} {
		s.d.compiler = c
		_, _, err = walk(func(int) { s.d.compiler = replacement })
		if !errors.Is(err, errReplaced) {
			t.Errorf("walk of a copy replaced by %p: %v, want %v", replacement, err, errReplaced)
		}
	}
}

// The view lists the records of the types asked for, and only those, each
// once, across parts of its walk.
func TestViewKeysOf(t *testing.T) {
	t.Parallel()
	v := NewView()
	routes, _ := typeOfKind(store.KindRoute)
	policies, _ := typeOfKind(store.KindPolicy)
	var want, all []compile.ObjectKey
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
			key := compile.ObjectKey{Kind: rt.Kind, ID: rec.Id}
			if all = append(all, key); rt.Kind == store.KindRoute {
				want = append(want, key)
			}
		}
	}
	// Statuses handed over for objects with no record in the view, among
	// the rows a part walks: listed by handedKeys, not by keysOf.
	var handed []compile.ObjectKey
	for i := range indexSlice + 1 {
		s := store.ObjectStatus{Kind: store.KindRoute, ID: fmt.Sprintf("d0000000-0000-4000-8000-%012d", i), State: store.SyncPending}
		v.handOver(s)
		handed = append(handed, compile.ObjectKey{Kind: s.Kind, ID: s.ID})
	}
	got := v.keysOf(func(rt recordType) bool { return rt.Kind == store.KindRoute })
	slices.SortFunc(got, compile.CompareKeys)
	slices.SortFunc(want, compile.CompareKeys)
	if gotHanded := v.handedKeys(); len(gotHanded) != len(handed) || !slices.Equal(slices.SortedFunc(slices.Values(gotHanded), compile.CompareKeys), handed) {
		t.Errorf("handedKeys listed %d keys, want the %d objects with a status", len(gotHanded), len(handed))
	}
	if !slices.Equal(got, want) {
		t.Errorf("keysOf(route) listed %d keys, want the %d routes, each once", len(got), len(want))
	}
	got = v.Keys()
	slices.SortFunc(got, compile.CompareKeys)
	slices.SortFunc(all, compile.CompareKeys)
	if !slices.Equal(got, all) {
		t.Errorf("Keys listed %d keys, want the %d records, each once", len(got), len(all))
	}
	// A status handed over for an object with a record too: its row is
	// listed once.
	v.handOver(store.ObjectStatus{Kind: store.KindRoute, ID: want[0].ID, State: store.SyncPending})
	got = v.rowKeys()
	slices.SortFunc(got, compile.CompareKeys)
	if rows := slices.SortedFunc(slices.Values(append(all, handed...)), compile.CompareKeys); !slices.Equal(got, rows) {
		t.Errorf("rowKeys listed %d keys, want the %d objects with a record or a status, each once", len(got), len(rows))
	}
}

// A pass over everything compares the objects the keys of every compiled object,
// every record and every status handed over, and the keys given, name:
// each once.
func TestEveryKey(t *testing.T) {
	t.Parallel()
	key := func(k store.Kind, n int) compile.ObjectKey {
		return compile.ObjectKey{Kind: k, ID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", n)}
	}
	c := compile.NewCompiler()
	ns := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: key(store.KindNamespace, 0).ID, Name: "team", Version: 1}}
	changes := []store.Change{{Kind: store.KindNamespace, ID: ns.ID, Version: 1, Object: ns}}
	for i := 1; i <= 3; i++ {
		r := &store.Route{ObjectMeta: store.ObjectMeta{ID: key(store.KindRoute, i).ID, NamespaceID: ns.ID, Name: fmt.Sprint("r", i), Version: 1},
			Spec: &configpb.Route{From: fmt.Sprintf("https://r%d.example.com", i), To: []string{"https://upstream.internal"}}}
		changes = append(changes, store.Change{Kind: store.KindRoute, ID: r.ID, Version: 1, Object: r})
	}
	c.Apply(changes)
	v := NewView()
	routes, _ := typeOfKind(store.KindRoute)
	for _, k := range []compile.ObjectKey{key(store.KindRoute, 1), key(store.KindRoute, 4)} { // compiled, and not
		rec := &pb.Record{Type: routes.Type, Id: k.ID, Version: 1, Data: &anypb.Any{TypeUrl: routes.Type, Value: []byte{1}}}
		if _, err := v.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []compile.ObjectKey{key(store.KindRoute, 2), key(store.KindRoute, 5)} { // compiled, and not
		v.handOver(store.ObjectStatus{Kind: k.Kind, ID: k.ID, State: store.SyncPending})
	}
	// Keys given: one compiled, one of the view's only, one of neither
	// (twice).
	given := []compile.ObjectKey{key(store.KindRoute, 3), key(store.KindRoute, 4), key(store.KindRoute, 6), key(store.KindRoute, 6)}
	got := everyKey(c, v, given)
	slices.SortFunc(got, compile.CompareKeys)
	want := []compile.ObjectKey{key(store.KindNamespace, 0)}
	for i := 1; i <= 6; i++ {
		want = append(want, key(store.KindRoute, i))
	}
	slices.SortFunc(want, compile.CompareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("everyKey: %v\nwant %v", got, want)
	}
}

// A resync lists what the compiled copy holds into the array of the last
// resync's list, which is emptied of ids once nothing reads it.
func TestSourceKeysReuseTheLastList(t *testing.T) {
	t.Parallel()
	s := newSource(nil)
	c := compile.NewCompiler()
	var changes []store.Change
	for i := range indexSlice + 3 {
		id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)
		changes = append(changes, store.Change{Kind: store.KindRoute, ID: id, Object: &store.Route{
			ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: store.GlobalNamespaceID, Name: id, Version: 1}}})
	}
	c.Apply(changes)
	s.d.compiler = c
	last := make([]compile.ObjectKey, 0, 2*len(changes))
	got, _, err := s.keys(t.Context(), last)
	if err != nil || len(got) != c.Len() {
		t.Fatalf("listed %d objects, %v; want %d", len(got), err, c.Len())
	}
	if &got[0] != &last[:1][0] {
		t.Error("the list was made anew, though the last one's array was large enough")
	}
	// Emptied as keepHeld empties it (which then hands it to other
	// resyncs, of other tests too).
	if kept := emptied(got); len(kept) != 0 || cap(kept) != cap(got) {
		t.Errorf("emptied: %d objects of %d, want none of %d", len(kept), cap(kept), cap(got))
	}
	if i := slices.IndexFunc(got, func(k compile.ObjectKey) bool { return k != compile.ObjectKey{} }); i >= 0 {
		t.Errorf("the list kept for the next resync still holds %v", got[i])
	}
}

// TestResyncRestsWhilePassesCome: between two slices a resync rests as
// long as the slice took (restMax at most) while passes come one after
// another, and not otherwise.
func TestResyncRestsWhilePassesCome(t *testing.T) {
	t.Parallel()
	var rests []time.Duration
	l := &Loop{rest: func(d time.Duration) { rests = append(rests, d) }}
	slice := func(took time.Duration) {
		rests = rests[:0]
		l.sliceBegan.Store(sinceStart() - int64(took))
		l.giveWay()
	}

	slice(3 * time.Millisecond)
	if len(rests) != 0 {
		t.Errorf("rests %v before any pass; want none", rests)
	}
	// A pass ending now, however long the test then takes to go on.
	l.passEnded.Store(sinceStart() + int64(time.Hour))
	slice(3 * time.Millisecond)
	if len(rests) != 1 || rests[0] < 3*time.Millisecond || rests[0] > restMax {
		t.Errorf("rests %v after a slice of 3 ms while passes come; want one of 3 ms to %s", rests, restMax)
	}
	slice(time.Second)
	if len(rests) != 1 || rests[0] != restMax {
		t.Errorf("rests %v after a slice of a second while passes come; want one of %s", rests, restMax)
	}
	l.passEnded.Store(sinceStart() - int64(passesRecent+time.Second))
	slice(3 * time.Millisecond)
	if len(rests) != 0 {
		t.Errorf("rests %v once passes stopped; want none", rests)
	}
}

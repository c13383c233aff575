package reconcile_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/store"
)

// hidingStore leaves the changes of hidden objects out of what Changes
// answers, as if the change feed had lost them.
type hidingStore struct {
	store.Store
	mu     sync.Mutex
	hidden map[string]bool
}

func (h *hidingStore) hide(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hidden[id] = true
}

func (h *hidingStore) Changes(ctx context.Context, after int64, limit int) (*store.ChangeSet, error) {
	cs, err := h.Store.Changes(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cs.Changes = slices.DeleteFunc(cs.Changes, func(c store.Change) bool { return h.hidden[c.ID] })
	return cs, nil
}

func TestResyncFindsWhatTheFeedMissed(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		// More routes than a pass compares at once: the resync's sweep
		// takes several passes.
		e.routesOf(1500)
		st := &hidingStore{Store: e.store, hidden: map[string]bool{}}
		l := e.startLoopOn("a", st)
		e.eventually("the databroker equal to desired state", func() bool { ok, _ := e.converged(); return ok })

		res, err := e.store.List(e.ctx, store.KindRoute, store.ListQuery{Limit: 2})
		if err != nil || len(res.Objects) != 2 {
			t.Fatalf("list routes: %v", err)
		}
		changed, deleted := res.Objects[0].(*store.Route), res.Objects[1].(*store.Route)
		st.hide(changed.ID)
		st.hide(deleted.ID)
		changed.Spec.To = []string{"http://missed.internal:8080"}
		e.put(changed)
		if _, err := e.store.Apply(e.ctx, actor, &store.DeleteOp{Kind: store.KindRoute, ID: deleted.ID}); err != nil {
			t.Fatal(err)
		}
		// A change the feed carries is written as usual; the hidden ones
		// are not.
		added := e.put(route(store.GlobalNamespaceID, "seen", "https://seen.example.com")).(*store.Route)
		e.eventually("the visible change written", func() bool { return e.route(added.ID) != nil })
		if slices.Equal(e.route(changed.ID).GetTo(), changed.Spec.To) || e.route(deleted.ID) == nil {
			t.Fatal("the hidden changes reached the databroker without a resync")
		}

		resyncs := testutil.ToFloat64(l.metrics.Resyncs)
		l.Resync()
		e.eventually("a resync", func() bool { return testutil.ToFloat64(l.metrics.Resyncs) > resyncs })
		if ok, diff := e.converged(); !ok {
			t.Fatalf("after a resync: %s", diff)
		}
		if got := testutil.ToFloat64(l.metrics.BulkQueue); got != 0 {
			t.Errorf("%v objects left in the bulk queue after the resync", got)
		}
	})
}

// countingStore counts the reads of the whole index.
type countingStore struct {
	store.Store
	indexes atomic.Int64
}

func (c *countingStore) Index(ctx context.Context) (*store.Index, error) {
	c.indexes.Add(1)
	return c.Store.Index(ctx)
}

// A resync of a converged loop reads the store's sums, which agree, and
// not its index; one resync in reconcile.WholeIndexEvery reads the index
// all the same.
func TestResyncReadsTheIndexOnlyWhenSumsDisagree(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.routesOf(300)
		st := &countingStore{Store: e.store}
		l := e.startLoopOn("a", st)
		e.eventually("the databroker equal to desired state", func() bool { ok, _ := e.converged(); return ok })
		// The records may all be in before the first pass has counted
		// them: its health record says it has.
		version, err := e.store.Version(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.eventually("the first pass done", func() bool {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) == 1 && h[0].SyncedVersion >= version
		})
		resync := func() {
			t.Helper()
			resyncs := testutil.ToFloat64(l.metrics.Resyncs)
			l.Resync()
			e.eventually("a resync", func() bool { return testutil.ToFloat64(l.metrics.Resyncs) > resyncs })
		}
		puts := testutil.ToFloat64(l.metrics.RecordsPut)
		for i := 1; i < reconcile.WholeIndexEvery; i++ {
			resync()
		}
		if n := st.indexes.Load(); n != 0 {
			t.Errorf("%d resyncs of a converged loop read the index %d times", reconcile.WholeIndexEvery-1, n)
		}
		resync()
		if n := st.indexes.Load(); n != 1 {
			t.Errorf("resync %d read the index %d times, want once", reconcile.WholeIndexEvery, n)
		}
		if got := testutil.ToFloat64(l.metrics.RecordsPut); got != puts {
			t.Errorf("the resyncs wrote %v records", got-puts)
		}
	})
}

package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// routesOf puts n routes using policies into the store, in one write.
func (e *env) routesOf(n int, policyIDs ...string) {
	e.t.Helper()
	ops := make([]store.Op, n)
	for i := range ops {
		ops[i] = &store.PutOp{Object: route(store.GlobalNamespaceID, fmt.Sprintf("app-%05d", i), fmt.Sprintf("https://app-%05d.example.com", i), policyIDs...)}
	}
	if _, err := e.store.Apply(e.ctx, actor, ops...); err != nil {
		e.t.Fatal(err)
	}
}

// pausingStore stops a first load after it has handed over `after` routes
// until resume says go on (or a minute has passed), and tells whether
// resume did.
type pausingStore struct {
	store.Store
	after   int
	resume  func() bool
	resumed atomic.Bool
}

func (p *pausingStore) LoadEach(ctx context.Context, fn func(store.Object) error, opts ...store.GetOption) (int64, error) {
	routes := 0
	return p.Store.LoadEach(ctx, func(o store.Object) error {
		if o.Kind() == store.KindRoute {
			if routes == p.after {
				deadline := time.Now().Add(time.Minute)
				for !p.resume() && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond) // polls the databroker, which has no event to wait on
				}
				p.resumed.Store(p.resume())
			}
			routes++
		}
		return fn(o)
	}, opts...)
}

func TestFirstLoadWritesWhileItReads(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		pol := e.put(policy(store.GlobalNamespaceID, "staff", `allow: {and: [{domain: {is: example.com}}]}`, false))
		e.routesOf(5000, pol.GetObjectMeta().ID)
		// The load stops half-way, after more than one part of routes, and
		// goes on only once the databroker holds a route: a load that
		// wrote nothing before it had read everything would wait in vain.
		st := &pausingStore{Store: e.store, after: 2500, resume: func() bool { return len(e.records(compile.RecordTypeRoute)) > 0 }}
		l := e.startLoopOn("a", st)
		e.eventually("the databroker equal to desired state", func() bool { ok, _ := e.converged(); return ok })
		if !st.resumed.Load() {
			t.Fatal("no route record was written before the first load had read every route")
		}
		// What routes use is written before any route.
		pols := e.records(compile.RecordTypePolicy)
		if len(pols) != 1 {
			t.Fatalf("%d policy records, want 1", len(pols))
		}
		for _, r := range e.records(compile.RecordTypeRoute) {
			if r.Version < pols[pol.GetObjectMeta().ID].Version {
				t.Fatalf("route %s written (version %d) before its policy (version %d)", r.Id, r.Version, pols[pol.GetObjectMeta().ID].Version)
			}
		}
		e.eventually("every route's status synced", func() bool {
			got, err := e.store.Status(e.ctx, store.KindRoute)
			if err != nil || len(got) != 5000 {
				return false
			}
			for _, s := range got {
				if s.State != store.SyncSynced || s.RecordVersion == 0 {
					return false
				}
			}
			return true
		})
		if n := l.FullCompilations(); n != 1 {
			t.Errorf("%d full compilations, want 1", n)
		}
	})
}

// recordCountingStore counts, at the first write of route statuses, the
// route records the databroker holds then (later writes could only find
// more).
type recordCountingStore struct {
	store.Store
	routeRecords func() int
	first        sync.Once
	held         atomic.Int64
}

func (r *recordCountingStore) SetStatus(ctx context.Context, statuses []store.ObjectStatus) error {
	if slices.ContainsFunc(statuses, func(s store.ObjectStatus) bool { return s.Kind == store.KindRoute }) {
		r.first.Do(func() { r.held.Store(int64(r.routeRecords())) })
	}
	return r.Store.SetStatus(ctx, statuses)
}

// TestFirstLoadWritesStatusesOnceRecordsAreIn: a first load writes no
// route's status before the databroker holds every route's record, though
// the statuses of the first parts written could be found long before.
func TestFirstLoadWritesStatusesOnceRecordsAreIn(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		const routes = 12000
		e.routesOf(routes)
		st := &recordCountingStore{Store: e.store, routeRecords: func() int { return len(e.records(compile.RecordTypeRoute)) }}
		e.startLoopOn("a", st)
		e.eventually("every route's status synced", func() bool {
			got, err := e.store.Status(e.ctx, store.KindRoute)
			return err == nil && len(got) == routes
		})
		if held := st.held.Load(); held != routes {
			t.Errorf("the first route statuses written while the databroker held %d route records, want %d", held, routes)
		}
	})
}

// keyOrderStore records the ids of the route statuses written, in the
// order written.
type keyOrderStore struct {
	store.Store
	mu  sync.Mutex
	ids []string
}

func (k *keyOrderStore) SetStatus(ctx context.Context, statuses []store.ObjectStatus) error {
	k.mu.Lock()
	for _, s := range statuses {
		if s.Kind == store.KindRoute {
			k.ids = append(k.ids, s.ID)
		}
	}
	k.mu.Unlock()
	return k.Store.SetStatus(ctx, statuses)
}

// TestFirstLoadWritesStatusesInKeyOrder: a first load's statuses are
// written in the order of their keys from the first to the last, not only
// within each round of the status queue (here of 1,000 statuses), so that
// each round writes neighbouring rows of the store's table.
func TestFirstLoadWritesStatusesInKeyOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, embeddedBroker)
	const routes = 5000
	e.routesOf(routes)
	st := &keyOrderStore{Store: e.store}
	e.startLoopWith("a", st, func(l *reconcile.Loop) { l.SetStatusBatch(10) })
	e.eventually("every route's status synced", func() bool {
		got, err := e.store.Status(e.ctx, store.KindRoute)
		return err == nil && len(got) == routes
	})
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.ids) < routes {
		t.Fatalf("%d route statuses written, want %d", len(st.ids), routes)
	}
	for i := 1; i < routes; i++ {
		if st.ids[i] <= st.ids[i-1] {
			t.Fatalf("route status %d written after %d: %s after %s", i, i-1, st.ids[i], st.ids[i-1])
		}
	}
}

func TestFirstLoadFailedWriteIsRetried(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.routesOf(5000)
		var puts atomic.Int32
		e.intercept(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if strings.HasSuffix(info.FullMethod, "/Put") && len(req.(*pb.PutRequest).GetRecords()) > 1 && puts.Add(1) == 2 {
				return nil, status.Error(codes.Internal, "write refused by the test")
			}
			return h(ctx, req)
		})
		l := e.startLoop("a")
		wait.For(t, "the databroker equal to desired state", time.Minute, func() bool { ok, _ := e.converged(); return ok })
		if got := testutil.ToFloat64(l.metrics.Errors); got < 1 {
			t.Errorf("%v failed passes, want the one whose write was refused", got)
		}
		// The health record is written after the statuses handed over
		// before it.
		wait.Until(t, "the refused write as the health record's last error", time.Minute, func() (bool, string) {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) == 1 && strings.Contains(h[0].LastError, "write refused by the test"), fmt.Sprintf("health %+v (%v)", h, err)
		})
	})
}

// failingStore fails the first load after it has handed over `after`
// routes.
type failingStore struct {
	store.Store
	after  int
	failed atomic.Bool
}

func (f *failingStore) LoadEach(ctx context.Context, fn func(store.Object) error, opts ...store.GetOption) (int64, error) {
	routes := 0
	return f.Store.LoadEach(ctx, func(o store.Object) error {
		if o.Kind() == store.KindRoute {
			if routes == f.after && f.failed.CompareAndSwap(false, true) {
				return errors.New("read cut short by the test")
			}
			routes++
		}
		return fn(o)
	}, opts...)
}

func TestFirstLoadCutShortStartsOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, embeddedBroker)
	e.routesOf(5000)
	l := e.startLoopOn("a", &failingStore{Store: e.store, after: 4500})
	wait.For(t, "the databroker equal to desired state", time.Minute, func() bool { ok, _ := e.converged(); return ok })
	if n := l.FullCompilations(); n != 1 {
		t.Errorf("%d full compilations, want 1: a load cut short is not kept", n)
	}
	wait.Until(t, "the failed read as the health record's last error", time.Minute, func() (bool, string) {
		h, err := e.store.Health(e.ctx)
		return err == nil && len(h) == 1 && strings.Contains(h[0].LastError, "read cut short by the test"), fmt.Sprintf("health %+v (%v)", h, err)
	})
}

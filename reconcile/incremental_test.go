package reconcile_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// The loop compiles only what a change touches; these tests change objects
// that other objects depend on and check that every dependent record follows.

func TestEnforcedPolicyAndNamespaceEditsReachEveryRoute(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.startLoop("a")
		team := e.put(namespace(store.GlobalNamespaceID, "Team")).(*store.Namespace)
		app := e.put(namespace(team.ID, "App")).(*store.Namespace)
		inTeam := e.put(route(team.ID, "team", "https://team.example.com")).(*store.Route)
		inApp := e.put(route(app.ID, "app", "https://app.example.com")).(*store.Route)
		elsewhere := e.put(route(store.GlobalNamespaceID, "global", "https://global.example.com")).(*store.Route)
		e.eventually("three route records", func() bool { return len(e.records("type.googleapis.com/pomerium.config.Route")) == 3 })

		guard := e.put(policy(team.ID, "guard", allowAll, true)).(*store.Policy)
		e.eventually("the enforced policy on the routes below Team and not beside it", func() bool {
			return slices.Equal(e.route(inTeam.ID).GetPolicyIds(), []string{guard.ID}) &&
				slices.Equal(e.route(inApp.ID).GetPolicyIds(), []string{guard.ID}) &&
				len(e.route(elsewhere.ID).GetPolicyIds()) == 0
		})

		app.Name = "Application"
		e.put(app)
		e.eventually("the new namespace name in the route record", func() bool {
			return e.route(inApp.ID).GetNamespaceName() == "Application"
		})

		guard.Enforced = false
		e.put(guard)
		e.eventually("the policy no longer on the routes", func() bool {
			return len(e.route(inTeam.ID).GetPolicyIds()) == 0 && len(e.route(inApp.ID).GetPolicyIds()) == 0
		})
	})
}

func TestConflictResolvedByEditingOneRoute(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.startLoop("a")
		// Both in one commit: a pass that saw the first alone would write it,
		// and an invalid route keeps its last good record.
		written, err := e.store.Apply(e.ctx, actor,
			&store.PutOp{Object: route(store.GlobalNamespaceID, "first", "https://same.example.com")},
			&store.PutOp{Object: route(store.GlobalNamespaceID, "second", "https://same.example.com")})
		if err != nil {
			t.Fatal(err)
		}
		first, second := written[0].(*store.Route), written[1].(*store.Route)
		e.eventually("both routes in conflict", func() bool {
			a, b := e.status(store.KindRoute, first.ID), e.status(store.KindRoute, second.ID)
			return a.State == store.SyncError && b.State == store.SyncError && strings.Contains(a.Reason, `"second"`)
		})
		if e.route(first.ID) != nil || e.route(second.ID) != nil {
			t.Fatal("a conflicting route was written")
		}
		second.Spec.From = "https://other.example.com"
		e.put(second)
		e.eventually("both routes written once the conflict is gone", func() bool {
			return e.route(first.ID) != nil && e.route(second.ID) != nil &&
				e.status(store.KindRoute, first.ID).State == store.SyncSynced
		})
	})
}

// TestFailedWriteIsRetried makes the databroker refuse writes while a route
// changes: the failed pass must be made good once writes succeed again,
// without any further change in the store to wake the loop.
func TestFailedWriteIsRetried(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		var refuse atomic.Bool
		e.intercept(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if refuse.Load() && strings.HasSuffix(info.FullMethod, "/Put") {
				return nil, status.Error(codes.Internal, "writes refused by the test")
			}
			return h(ctx, req)
		})

		l := e.startLoop("a")
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		e.eventually("the route record", func() bool { return e.route(r.ID) != nil })

		refuse.Store(true)
		failures := testutil.ToFloat64(l.metrics.Errors)
		r.Spec.To = []string{"http://v2.internal:8080"}
		e.put(r)
		e.eventually("a failed pass", func() bool { return testutil.ToFloat64(l.metrics.Errors) > failures })
		refuse.Store(false)
		e.eventually("the change written by a later pass", func() bool {
			return slices.Equal(e.route(r.ID).GetTo(), []string{"http://v2.internal:8080"})
		})
	})
}

func TestResyncOnRequestWritesNothingWhenConverged(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		l := e.startLoop("a")
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		e.eventually("the route synced", func() bool { return e.status(store.KindRoute, r.ID).State == store.SyncSynced })
		puts, resyncs := testutil.ToFloat64(l.metrics.RecordsPut), testutil.ToFloat64(l.metrics.Resyncs)
		l.Resync()
		e.eventually("a resync", func() bool { return testutil.ToFloat64(l.metrics.Resyncs) > resyncs })
		if got := testutil.ToFloat64(l.metrics.RecordsPut); got != puts {
			t.Errorf("a resync of a converged loop wrote %v records", got-puts)
		}
	})
}

// TestEnforcedPolicyOnManyRoutes enforces a policy on more routes than a
// change checks at once, the rest being checked a slice a pass: every
// route's record follows, and the loop says it is in sync with the policy
// only once every record has it.
func TestEnforcedPolicyOnManyRoutes(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		n := reconcile.DeferChecksAbove + 3*reconcile.DeferredSlice + 10
		e.routesOf(n)
		e.startLoop("a")
		e.eventually("every route's record", func() bool { return len(e.records(compile.RecordTypeRoute)) == n })
		guard := e.put(policy(store.GlobalNamespaceID, "guard", allowAll, true))
		e.eventually("the loop in sync with the policy", func() bool {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) == 1 && h[0].SyncedVersion >= guard.GetObjectMeta().Version
		})
		records := e.records(compile.RecordTypeRoute)
		if len(records) != n {
			t.Fatalf("%d route records, want %d", len(records), n)
		}
		for id, rec := range records {
			var r configpb.Route
			if err := rec.Data.UnmarshalTo(&r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.GetPolicyIds(), []string{guard.GetObjectMeta().ID}) {
				t.Fatalf("in sync, but route %s has policies %v", id, r.GetPolicyIds())
			}
		}
	})
}

// TestRecordOthersUseLeavesAfterQueuedRoutes deletes a policy while routes
// whose records still name it wait in the bulk queue (a change of an
// enforced policy is written a slice a pass): the pass that takes the
// policy's record away writes every queued route first. The databroker is
// checked after each write: no route record may name a policy it lacks.
func TestRecordOthersUseLeavesAfterQueuedRoutes(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		var (
			mu       sync.Mutex
			watching bool
			policies = map[string]bool{}
			routes   = map[string][]string{} // route id: its record's policy ids
			broken   []string
		)
		blocked, unblock := make(chan struct{}), make(chan struct{})
		var once sync.Once
		e.intercept(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			put, ok := req.(*pb.PutRequest)
			if !ok {
				return h(ctx, req)
			}
			mu.Lock()
			hold := watching && slices.ContainsFunc(put.GetRecords(), func(r *pb.Record) bool {
				return r.GetType() == compile.RecordTypeRoute && r.GetDeletedAt() == nil
			})
			mu.Unlock()
			if hold {
				// The first slice of routes waits while the policy is deleted.
				once.Do(func() {
					close(blocked)
					<-unblock
				})
			}
			res, err := h(ctx, req)
			if err != nil {
				return res, err
			}
			mu.Lock()
			defer mu.Unlock()
			// Record by record, in the order the databroker takes them.
			for _, r := range put.GetRecords() {
				switch r.GetType() {
				case compile.RecordTypePolicy:
					policies[r.GetId()] = r.GetDeletedAt() == nil
				case compile.RecordTypeRoute:
					var route configpb.Route
					if r.GetDeletedAt() != nil || r.GetData().UnmarshalTo(&route) != nil {
						delete(routes, r.GetId())
					} else {
						routes[r.GetId()] = route.GetPolicyIds()
					}
				}
				if !watching {
					continue
				}
				for id, ids := range routes {
					for _, p := range ids {
						if !policies[p] {
							broken = append(broken, fmt.Sprintf("route %s names policy %s, which has no record", id, p))
						}
					}
				}
			}
			return res, nil
		})

		n := reconcile.DeferChecksAbove + reconcile.DeferredSlice + 10
		guard := e.put(policy(store.GlobalNamespaceID, "guard", allowAll, true)).(*store.Policy)
		e.routesOf(n)
		e.startLoop("a")
		guarded := func(want bool) func() bool {
			return func() bool {
				records := e.records(compile.RecordTypeRoute)
				if len(records) != n {
					return false
				}
				for _, rec := range records {
					var r configpb.Route
					if err := rec.Data.UnmarshalTo(&r); err != nil || slices.Contains(r.GetPolicyIds(), guard.ID) != want {
						return false
					}
				}
				return true
			}
		}
		e.eventually("every route's record with the guard", guarded(true))

		mu.Lock()
		watching = true
		mu.Unlock()
		guard.Enforced = false
		e.put(guard)
		select {
		case <-blocked:
		case <-e.ctx.Done():
			t.Fatal("no slice of routes was written")
		}
		if _, err := e.store.Apply(e.ctx, actor, &store.DeleteOp{Kind: store.KindPolicy, ID: guard.ID}); err != nil {
			close(unblock)
			t.Fatal(err)
		}
		close(unblock)
		e.eventually("every route's record without the guard, and the guard's record gone", func() bool {
			_, held := e.records(compile.RecordTypePolicy)[guard.ID]
			return !held && guarded(false)()
		})
		mu.Lock()
		defer mu.Unlock()
		if len(broken) > 0 {
			t.Fatalf("%d times a route named a policy the databroker lacked, first: %s", len(broken), broken[0])
		}
	})
}

package reconcile_test

import (
	"context"
	"errors"
	"path"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestLeadWaitsForItsWatchers ends lead after lead and checks each time that
// no Sync watcher outlives the lead that started it: one that did would go
// on following the databroker beside the watchers of the next lead. One end
// could miss a watcher that exits just in time; ten do not.
func TestLeadWaitsForItsWatchers(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		l := reconcile.New(reconcile.Options{Store: e.store, Client: e.dial(), Instance: "a", Logger: testr.New(t)})
		for i := range 10 {
			ctx, cancel := context.WithCancel(e.ctx)
			ended := make(chan error, 1)
			go func() { ended <- l.Lead(ctx) }()
			e.eventually("every watcher running", func() bool { return l.Watchers() == len(compile.RecordTypes) })
			cancel()
			select {
			case err := <-ended:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("lead %d ended with %v, want it cancelled", i, err)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("lead %d still running 15 s after it was cancelled", i)
			}
			if n := l.Watchers(); n != 0 {
				t.Fatalf("%d watchers still running after lead %d returned", n, i)
			}
		}
	})
}

// TestLeaseBlipKeepsTheCompiledState takes the lease away from the writer,
// changes the store and deletes a record of ours while nobody holds it, and
// gives it back: the next lead must converge to exactly what a fresh
// compilation gives, from the compiled state the last lead left rather than
// by compiling everything again, and a pass after that must write nothing.
func TestLeaseBlipKeepsTheCompiledState(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		var lose, hold atomic.Bool
		e.intercept(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			switch path.Base(info.FullMethod) {
			case "RenewLease":
				if lose.Swap(false) {
					return nil, status.Error(codes.AlreadyExists, "lease taken by the test")
				}
			case "AcquireLease":
				if hold.Load() {
					return nil, status.Error(codes.AlreadyExists, "lease held by the test")
				}
			}
			return h(ctx, req)
		})
		l := e.startLoop("a")
		team := e.put(namespace(store.GlobalNamespaceID, "Team")).(*store.Namespace)
		kept := e.put(route(store.GlobalNamespaceID, "kept", "https://kept.example.com")).(*store.Route)
		edited := e.put(route(team.ID, "edited", "https://edited.example.com")).(*store.Route)
		gone := e.put(route(store.GlobalNamespaceID, "gone", "https://gone.example.com")).(*store.Route)
		wait.Until(t, "the databroker equal to desired state", 15*time.Second, e.converged)
		compilations := l.FullCompilations()

		hold.Store(true)
		lose.Store(true)
		e.eventually("the lease lost", func() bool { return testutil.ToFloat64(l.metrics.LeaseHeld) == 0 })
		edited.Spec.To = []string{"http://v2.internal:8080"}
		e.put(edited)
		if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindRoute, ID: gone.ID}); err != nil {
			t.Fatal(err)
		}
		e.put(route(store.GlobalNamespaceID, "added", "https://added.example.com"))
		e.put(policy(team.ID, "guard", allowAll, true)) // in the record of the route in Team
		// No watcher sees this, and nothing in the store touches the route: only
		// comparing every record with the new view finds it.
		tomb := recordOf(t, compile.RecordTypeRoute, kept.ID, &configpb.Route{})
		tomb.DeletedAt = timestamppb.Now()
		if _, err := e.client.Put(e.ctx, []*pb.Record{tomb}); err != nil {
			t.Fatal(err)
		}
		hold.Store(false)

		e.eventually("the lease taken again", func() bool { return testutil.ToFloat64(l.metrics.LeaseHeld) == 1 })
		wait.Until(t, "the databroker equal to desired state after the blip", 15*time.Second, e.converged)
		if n := l.FullCompilations() - compilations; n != 0 {
			t.Errorf("the lease blip cost %d compilations of all of desired state, want none", n)
		}
		puts, deletes, passes := testutil.ToFloat64(l.metrics.RecordsPut), testutil.ToFloat64(l.metrics.RecordsDeleted), passCount(t, l.metrics)
		l.Resync()
		e.eventually("a resync pass", func() bool { return passCount(t, l.metrics) > passes })
		if p, d := testutil.ToFloat64(l.metrics.RecordsPut), testutil.ToFloat64(l.metrics.RecordsDeleted); p != puts || d != deletes {
			t.Errorf("a pass after convergence wrote %v puts and %v deletes", p-puts, d-deletes)
		}
	})
}

package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/store"
)

// isReady reports whether lv says the loop has done its first job.
func isReady(lv *reconcile.Liveness) bool {
	select {
	case <-lv.Ready():
		return true
	default:
		return false
	}
}

// describe is what a failed wait on lv shows.
func describe(lv *reconcile.Liveness) string {
	since, busy := lv.BusySince()
	return fmt.Sprintf("ready %v, busy %v since %v, status %q", isReady(lv), busy, since, lv.Status())
}

// TestLivenessReadiness: a loop is ready once its first pass has written
// what the store holds, or once it finds another instance writing; then it
// waits for work, saying so.
func TestLivenessReadiness(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		a := e.startLoop("a")
		select {
		case <-a.Liveness().Ready():
		case <-time.After(15 * time.Second):
			t.Fatalf("a never ready: %s", describe(a.Liveness()))
		}
		if e.route(r.ID) == nil {
			t.Error("ready before the first pass wrote the route")
		}
		wait.Until(t, "a waiting for work, in sync", 15*time.Second, func() (bool, string) {
			_, busy := a.Liveness().BusySince()
			return !busy && strings.HasPrefix(a.Liveness().Status(), "in sync with store version "), describe(a.Liveness())
		})

		b := e.startLoop("b")
		wait.Until(t, "b ready, standing by", 15*time.Second, func() (bool, string) {
			_, busy := b.Liveness().BusySince()
			return isReady(b.Liveness()) && !busy && b.Liveness().Status() == "standing by: another instance holds the writer lease", describe(b.Liveness())
		})
	})
}

// TestLivenessBeforeReady: a loop whose databroker refuses its lease is not
// ready but keeps coming round (idle between attempts, saying why); a loop
// stuck in a call shows the step it is stuck in, busy since it began.
func TestLivenessBeforeReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, embeddedBroker)
	var refuse, block atomic.Bool
	var blocked atomic.Int32 // calls held by the test
	refuse.Store(true)
	release := make(chan struct{})
	e.intercept(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if strings.HasSuffix(info.FullMethod, "/AcquireLease") {
			if refuse.Load() {
				return nil, status.Error(codes.Internal, "lease refused by the test")
			}
			if block.Load() {
				blocked.Add(1)
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
		return h(ctx, req)
	})
	l := e.startLoop("a")
	t.Cleanup(func() { close(release) }) // before the loop stops: cleanups run last first
	lv := l.Liveness()
	wait.Until(t, "the refusal reported", 15*time.Second, func() (bool, string) {
		_, busy := lv.BusySince()
		return !busy && strings.HasPrefix(lv.Status(), "cannot take the writer lease: ") && strings.Contains(lv.Status(), "lease refused by the test"), describe(lv)
	})
	if isReady(lv) {
		t.Fatal("ready although it never got the lease")
	}

	block.Store(true)
	refuse.Store(false)
	wait.Until(t, "the loop stuck taking the lease", 15*time.Second, func() (bool, string) {
		_, busy := lv.BusySince()
		return blocked.Load() > 0 && busy && lv.Status() == "taking the writer lease", describe(lv)
	})
	since, _ := lv.BusySince()
	if isReady(lv) {
		t.Fatal("ready while stuck")
	}

	block.Store(false)
	select {
	case release <- struct{}{}: // the blocked call goes on
	case <-time.After(15 * time.Second):
		t.Fatal("the blocked call went away")
	}
	select {
	case <-lv.Ready():
	case <-time.After(15 * time.Second):
		t.Fatalf("never ready once the lease was granted: %s", describe(lv))
	}
	if now, busy := lv.BusySince(); busy && now.Equal(since) {
		t.Errorf("still busy with the step that was stuck: %s", describe(lv))
	}
}

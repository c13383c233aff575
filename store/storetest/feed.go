package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// Deadlines of the change feed. A write in the same store must wake readers
// at once; another instance polls or listens, and the contract gives it 1 s.
const (
	localFeedDeadline    = 5 * time.Second
	crossFeedDeadline    = 2 * time.Second
	reconnectionDeadline = 10 * time.Second
)

func testFeed(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "WriteWakesSubscriber", newEnv, func(t *testing.T, f *fixture) {
		sub := f.s.Subscribe(f.ctx)
		defer sub.Close()
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		waitEvent(t, sub.C, localFeedDeadline, "the write", atLeast(p.Version))
		f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID})
		waitEvent(t, sub.C, localFeedDeadline, "the delete", atLeast(f.version()))
	})
	subtest(t, "OtherInstanceSeesWrites", newEnv, func(t *testing.T, f *fixture) {
		other := f.open(testKey)
		sub := other.Subscribe(f.ctx)
		defer sub.Close()
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		waitEvent(t, sub.C, crossFeedDeadline, "a write by another instance", atLeast(p.Version))
		if _, err := store.Get[*store.Policy](f.ctx, other, p.ID); err != nil {
			t.Errorf("other instance cannot read the write it was told about: %v", err)
		}
	})
	subtest(t, "BrokenFeedRecovers", newEnv, func(t *testing.T, f *fixture) {
		// Both feeds of a backend share its connection: both say they may
		// have missed something, and both work again.
		other := f.open(testKey)
		local, remote := f.s.Subscribe(f.ctx), other.Subscribe(f.ctx)
		localStatus, remoteStatus := f.s.SubscribeStatus(f.ctx), other.SubscribeStatus(f.ctx)
		for _, c := range []func(){local.Close, remote.Close, localStatus.Close, remoteStatus.Close} {
			defer c()
		}
		if !f.env.BreakFeed(t) {
			t.Skip("the backend's change feed has no connection to break")
		}
		maybeMissed := func(ev store.Event) bool { return ev.MaybeMissed }
		waitEvent(t, local.C, reconnectionDeadline, "an event saying events may have been missed", maybeMissed)
		waitEvent(t, remote.C, reconnectionDeadline, "an event saying events may have been missed", maybeMissed)
		statusMissed := func(ev store.StatusEvent) bool { return ev.MaybeMissed }
		waitEvent(t, localStatus.C, reconnectionDeadline, "an event saying statuses may have been missed", statusMissed)
		waitEvent(t, remoteStatus.C, reconnectionDeadline, "an event saying statuses may have been missed", statusMissed)
		p := put(f, newPolicy(store.GlobalNamespaceID, "after-break"))
		waitEvent(t, local.C, localFeedDeadline, "a write after the feed broke", atLeast(p.Version))
		waitEvent(t, remote.C, reconnectionDeadline, "a write by another instance after the feed broke", atLeast(p.Version))
		a := statusOf("after-break", store.SyncSynced)
		f.setStatus(a)
		waitEvent(t, localStatus.C, localFeedDeadline, "a status written after the feed broke", naming(false, a))
		waitEvent(t, remoteStatus.C, reconnectionDeadline, "a status written by another instance after the feed broke", naming(true, a))
	})
	subtest(t, "EndsWithContext", newEnv, func(t *testing.T, f *fixture) {
		ctx, cancel := context.WithCancel(f.ctx)
		sub := f.s.Subscribe(ctx)
		cancel()
		waitClosed(t, sub.C)
	})
	subtest(t, "EndsWithClose", newEnv, func(t *testing.T, f *fixture) {
		sub := f.s.Subscribe(f.ctx)
		sub.Close()
		waitClosed(t, sub.C)
		// The store keeps serving other subscriptions.
		still := f.s.Subscribe(f.ctx)
		defer still.Close()
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		waitEvent(t, still.C, localFeedDeadline, "the write", atLeast(p.Version))
	})
	subtest(t, "EndsWithStore", newEnv, func(t *testing.T, f *fixture) {
		sub := f.s.Subscribe(f.ctx)
		if err := f.s.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
		waitClosed(t, sub.C)
	})
}

func atLeast(v int64) func(store.Event) bool {
	return func(ev store.Event) bool { return ev.Version >= v }
}

// waitEvent reads events until one satisfies ok, failing the test at the
// deadline or if the subscription ends first.
func waitEvent[E any](t *testing.T, c <-chan E, deadline time.Duration, what string, ok func(E) bool) E {
	t.Helper()
	timeout := time.After(deadline)
	var seen []E
	for {
		select {
		case ev, open := <-c:
			if !open {
				t.Fatalf("subscription ended while waiting for %s (events seen: %+v)", what, seen)
			}
			if ok(ev) {
				return ev
			}
			seen = append(seen, ev)
		case <-timeout:
			t.Fatalf("no event for %s within %v (events seen: %+v)", what, deadline, seen)
		}
	}
}

// waitClosed drains a subscription's channel until it closes, failing the
// test at the deadline.
func waitClosed[E any](t *testing.T, c <-chan E) {
	t.Helper()
	timeout := time.After(localFeedDeadline)
	for {
		select {
		case _, open := <-c:
			if !open {
				return
			}
		case <-timeout:
			t.Fatalf("subscription still open %v after it should have ended", localFeedDeadline)
		}
	}
}

package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// echoWindow is how long a subscriber watches for an event it must not get:
// several polls of a polling backend, many round trips of a listening one.
const echoWindow = time.Second

// testStatusFeed covers the notifications of status writes: what a reader
// waiting for the reconciler's finding about an object is woken by.
func testStatusFeed(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "WriteWakesSubscriber", newEnv, func(t *testing.T, f *fixture) {
		sub := f.s.SubscribeStatus(f.ctx)
		defer sub.Close()
		a, b := statusOf("a", store.SyncSynced), statusOf("b", store.SyncError)
		f.setStatus(a, b)
		waitEvent(t, sub.C, localFeedDeadline, "the statuses written", naming(false, a, b))
		removed := store.ObjectStatus{Kind: a.Kind, ID: a.ID}
		f.setStatus(removed)
		waitEvent(t, sub.C, localFeedDeadline, "the status removed", naming(false, removed))
	})
	subtest(t, "ManyStatusesNamed", newEnv, func(t *testing.T, f *fixture) {
		// More than a notification holds, for a backend that sends them.
		sub := f.s.SubscribeStatus(f.ctx)
		defer sub.Close()
		many := make([]store.ObjectStatus, 2500)
		for i := range many {
			many[i] = statusOf(fmt.Sprint(i), store.SyncPending)
		}
		f.setStatus(many...)
		waitEvent(t, sub.C, localFeedDeadline, "every status written", naming(false, many...))
	})
	subtest(t, "OwnWriteAnnouncedOnce", newEnv, func(t *testing.T, f *fixture) {
		// An echo of its own write, or a "may have missed" for it, would make
		// a reader do its work again for nothing.
		sub := f.s.SubscribeStatus(f.ctx)
		defer sub.Close()
		a := statusOf("a", store.SyncSynced)
		f.setStatus(a)
		waitEvent(t, sub.C, localFeedDeadline, "the status written", naming(false, a))
		select {
		case ev := <-sub.C:
			t.Errorf("a second event for one status write: %+v", ev)
		case <-time.After(echoWindow):
		}
	})
	subtest(t, "OtherInstanceSeesStatus", newEnv, func(t *testing.T, f *fixture) {
		other := f.open(testKey)
		sub := other.SubscribeStatus(f.ctx)
		defer sub.Close()
		a := statusOf("a", store.SyncSynced)
		f.setStatus(a)
		waitEvent(t, sub.C, crossFeedDeadline, "a status written by another instance", naming(true, a))
	})
	subtest(t, "EndsWithStore", newEnv, func(t *testing.T, f *fixture) {
		sub := f.s.SubscribeStatus(f.ctx)
		if err := f.s.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
		waitClosed(t, sub.C)
	})
}

// statusOf is a status of a route that need not exist: statuses are not
// checked against desired state.
func statusOf(name string, state store.SyncState) store.ObjectStatus {
	var id [6]byte
	copy(id[:], name)
	return store.ObjectStatus{Kind: store.KindRoute, ID: fmt.Sprintf("00000000-0000-4000-8000-%012x", id), State: state, ObjectVersion: 1}
}

func (f *fixture) setStatus(statuses ...store.ObjectStatus) {
	f.t.Helper()
	if err := f.s.SetStatus(f.ctx, statuses); err != nil {
		f.t.Fatalf("set status: %v", err)
	}
}

// naming returns a condition that holds once the events read so far have
// named every one of the statuses' objects; with maybeMissed, an event that
// says it cannot name them satisfies it too (a store of another process may
// learn only that statuses changed).
func naming(maybeMissed bool, statuses ...store.ObjectStatus) func(store.StatusEvent) bool {
	want := map[store.ObjectKey]bool{}
	for _, s := range statuses {
		want[store.ObjectKey{Kind: s.Kind, ID: s.ID}] = true
	}
	return func(ev store.StatusEvent) bool {
		if ev.MaybeMissed {
			return maybeMissed
		}
		for _, k := range ev.Objects {
			delete(want, k)
		}
		return len(want) == 0
	}
}

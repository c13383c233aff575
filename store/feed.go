package store

import (
	"context"
	"sync"
)

// Event wakes a reader of the change feed.
type Event struct {
	// Version is the newest committed version the backend knows of.
	Version int64
	// MaybeMissed says that notifications may have been lost (the feed's
	// connection dropped and came back): the reader must resync from its last
	// known version or reload everything.
	MaybeMissed bool
}

func (ev Event) merge(older Event) Event {
	ev.MaybeMissed = ev.MaybeMissed || older.MaybeMissed
	ev.Version = max(ev.Version, older.Version)
	return ev
}

// Feed fans change events out to subscriptions.
type Feed = FeedOf[Event]

// Subscription delivers change events.
type Subscription = SubscriptionOf[Event]

// notice is what a feed carries: an unread notice and a newer one merge
// into one that tells the reader everything both did.
type notice[E any] interface {
	merge(older E) E
}

// SubscriptionOf delivers notices. Notices are coalesced: a reader that is
// slow sees them merged, so that no information a reader needs is lost and
// no publisher waits for it.
type SubscriptionOf[E notice[E]] struct {
	// C receives notices; it is closed when the subscription ends.
	C <-chan E

	c      chan E
	feed   *FeedOf[E]
	mu     sync.Mutex
	closed bool
}

// Close ends the subscription.
func (s *SubscriptionOf[E]) Close() { s.feed.remove(s) }

// FeedOf fans notices out to subscriptions. Backends embed one per kind of
// notice and call Publish for every one they learn of.
type FeedOf[E notice[E]] struct {
	mu   sync.Mutex
	subs map[*SubscriptionOf[E]]struct{}
	done bool
}

// Subscribe adds a subscription that ends with ctx or Close.
func (f *FeedOf[E]) Subscribe(ctx context.Context) *SubscriptionOf[E] {
	c := make(chan E, 1)
	s := &SubscriptionOf[E]{C: c, c: c, feed: f}
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		s.closed = true
		close(c)
		return s
	}
	if f.subs == nil {
		f.subs = map[*SubscriptionOf[E]]struct{}{}
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	context.AfterFunc(ctx, s.Close)
	return s
}

// Publish delivers ev to every subscription without blocking.
func (f *FeedOf[E]) Publish(ev E) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		s.deliver(ev)
	}
}

// Shutdown ends every subscription; later Subscribe calls get a closed feed.
func (f *FeedOf[E]) Shutdown() {
	f.mu.Lock()
	subs := f.subs
	f.subs = nil
	f.done = true
	f.mu.Unlock()
	for s := range subs {
		s.end()
	}
}

func (f *FeedOf[E]) remove(s *SubscriptionOf[E]) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
	s.end()
}

func (s *SubscriptionOf[E]) deliver(ev E) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for {
		select {
		case s.c <- ev:
			return
		case old := <-s.c:
			// Merge with the unread notice instead of blocking the publisher.
			ev = ev.merge(old)
		}
	}
}

func (s *SubscriptionOf[E]) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

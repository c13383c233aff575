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

// Subscription delivers events. Events are coalesced: a reader that is slow
// sees the newest version, and MaybeMissed stays set until it is read, so no
// information a reader needs is lost.
type Subscription struct {
	// C receives events; it is closed when the subscription ends.
	C <-chan Event

	c      chan Event
	feed   *Feed
	mu     sync.Mutex
	closed bool
}

// Close ends the subscription.
func (s *Subscription) Close() { s.feed.remove(s) }

// Feed fans events out to subscriptions. Backends embed one and call Publish
// for every event they learn of.
type Feed struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	done bool
}

// Subscribe adds a subscription that ends with ctx or Close.
func (f *Feed) Subscribe(ctx context.Context) *Subscription {
	c := make(chan Event, 1)
	s := &Subscription{C: c, c: c, feed: f}
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		s.closed = true
		close(c)
		return s
	}
	if f.subs == nil {
		f.subs = map[*Subscription]struct{}{}
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	context.AfterFunc(ctx, s.Close)
	return s
}

// Publish delivers ev to every subscription without blocking.
func (f *Feed) Publish(ev Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		s.deliver(ev)
	}
}

// Shutdown ends every subscription; later Subscribe calls get a closed feed.
func (f *Feed) Shutdown() {
	f.mu.Lock()
	subs := f.subs
	f.subs = nil
	f.done = true
	f.mu.Unlock()
	for s := range subs {
		s.end()
	}
}

func (f *Feed) remove(s *Subscription) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
	s.end()
}

func (s *Subscription) deliver(ev Event) {
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
			// Merge with the unread event instead of blocking the publisher.
			ev.MaybeMissed = ev.MaybeMissed || old.MaybeMissed
			ev.Version = max(ev.Version, old.Version)
		}
	}
}

func (s *Subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

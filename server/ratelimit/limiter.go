package ratelimit

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxAddresses bounds how many addresses a Limiter remembers.
const DefaultMaxAddresses = 100_000

// Options configure a Limiter.
type Options struct {
	// Burst is how many attempts an address may make at once; one more
	// becomes allowed every Every. Burst 0 turns the limit off.
	Burst int
	// Every is how long an address waits for one more attempt once its
	// burst is spent; 0 means a minute divided by Burst, so that Burst is
	// also the sustained number of attempts per minute.
	Every time.Duration
	// TrustedProxies are the networks of reverse proxies (Pomerium, a load
	// balancer) whose X-Forwarded-For header names the client. A peer
	// outside them is the client itself, whatever the header says.
	TrustedProxies []netip.Prefix
	// MaxAddresses bounds the addresses remembered at once;
	// DefaultMaxAddresses when 0.
	MaxAddresses int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Limiter keeps a token bucket per client address. Memory stays bounded:
// an address idle long enough to have its whole burst back is forgotten
// (a fresh bucket is the same), and past MaxAddresses the least recently
// seen address is forgotten first. A nil Limiter allows everything.
//
// IPv6 addresses share the bucket of their /64, which one client usually
// holds whole: per address, it could try 2^64 times as often.
type Limiter struct {
	burst   int
	every   time.Duration
	proxies []netip.Prefix
	max     int
	now     func() time.Time

	mu      sync.Mutex
	byAddr  map[netip.Addr]*list.Element
	recency *list.List // of *bucket, most recently seen first
}

type bucket struct {
	addr netip.Addr
	lim  *rate.Limiter
	seen time.Time
}

// New returns a Limiter, or nil (no limit) when o.Burst is 0.
func New(o Options) *Limiter {
	if o.Burst <= 0 {
		return nil
	}
	l := &Limiter{
		burst: o.Burst, every: o.Every, proxies: o.TrustedProxies, max: o.MaxAddresses, now: o.Now,
		byAddr: make(map[netip.Addr]*list.Element), recency: list.New(),
	}
	if l.every <= 0 {
		l.every = time.Minute / time.Duration(o.Burst)
	}
	if l.max <= 0 {
		l.max = DefaultMaxAddresses
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Take spends one attempt of addr. It returns 0 when the attempt may go
// ahead, or how long addr must wait for its next one, spending nothing.
func (l *Limiter) Take(addr netip.Addr) time.Duration { return l.decide(addr, true) }

// Wait returns how long addr must wait before its next attempt, 0 when it
// may try now, spending nothing: a caller checks it before work whose
// outcome decides whether the attempt counts (a failed authentication).
func (l *Limiter) Wait(addr netip.Addr) time.Duration { return l.decide(addr, false) }

// decide answers Take (spend) and Wait.
func (l *Limiter) decide(addr netip.Addr, spend bool) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(addr, now)
	allowed := b.lim.TokensAt(now) >= 1
	if spend {
		allowed = b.lim.AllowN(now, 1)
	}
	if allowed {
		return 0
	}
	return l.wait(b, now)
}

// Addresses returns how many addresses the Limiter remembers.
func (l *Limiter) Addresses() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byAddr)
}

// wait is how long until b holds a whole token, rounded up to a second:
// clients get the delay in whole seconds (Retry-After), and one that
// waits exactly that long must find its attempt allowed.
func (l *Limiter) wait(b *bucket, now time.Time) time.Duration {
	missing := 1 - b.lim.TokensAt(now)
	// Rounded to the millisecond first: the bucket counts in floating
	// point, and 2s plus a rounding error must not read as 3s.
	d := time.Duration(missing * float64(l.every)).Round(time.Millisecond)
	return time.Duration(RetryAfter(d)) * time.Second
}

// bucket returns addr's bucket, marked as seen now, after forgetting the
// addresses that are idle or too many. The caller holds l.mu.
func (l *Limiter) bucket(addr netip.Addr, now time.Time) *bucket {
	addr = key(addr)
	l.forget(now)
	if e, ok := l.byAddr[addr]; ok {
		b := e.Value.(*bucket)
		b.seen = now
		l.recency.MoveToFront(e)
		return b
	}
	b := &bucket{addr: addr, lim: rate.NewLimiter(rate.Every(l.every), l.burst), seen: now}
	l.byAddr[addr] = l.recency.PushFront(b)
	for len(l.byAddr) > l.max {
		l.drop(l.recency.Back())
	}
	return b
}

// forget drops the least recently seen addresses while they have had the
// time to get their whole burst back: their buckets are full, as a new one
// would be, so forgetting them changes no decision.
func (l *Limiter) forget(now time.Time) {
	refill := l.every * time.Duration(l.burst)
	for e := l.recency.Back(); e != nil && now.Sub(e.Value.(*bucket).seen) >= refill; e = l.recency.Back() {
		l.drop(e)
	}
}

func (l *Limiter) drop(e *list.Element) {
	delete(l.byAddr, e.Value.(*bucket).addr)
	l.recency.Remove(e)
}

// key is the address whose bucket addr uses: itself for IPv4, its /64 for
// IPv6.
func key(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	if addr.Is6() {
		p, err := addr.Prefix(64)
		if err == nil {
			return p.Addr()
		}
	}
	return addr.WithZone("")
}

// RetryAfter is a wait as the Retry-After header and refusal messages give
// it: whole seconds, at least one.
func RetryAfter(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

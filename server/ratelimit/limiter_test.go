package ratelimit_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/testclock"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
)

func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestTakeRefusesPastTheBurstAndRecovers(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{Burst: 5, Every: 6 * time.Second, Now: c.Now})
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := range 5 {
		if d := l.Take(a); d != 0 {
			t.Fatalf("attempt %d: wait %s, want allowed", i+1, d)
		}
	}
	if d := l.Take(a); d != 6*time.Second {
		t.Fatalf("attempt 6: wait %s, want 6s", d)
	}
	// A refused attempt spends nothing: the wait does not grow.
	if d := l.Take(a); d != 6*time.Second {
		t.Fatalf("attempt 7: wait %s, want 6s still", d)
	}
	if d := l.Take(b); d != 0 {
		t.Fatalf("another address: wait %s, want allowed", d)
	}
	c.Advance(4 * time.Second)
	if d := l.Wait(a); d != 2*time.Second {
		t.Fatalf("4s later: wait %s, want 2s", d)
	}
	c.Advance(2 * time.Second)
	if d := l.Take(a); d != 0 {
		t.Fatalf("after the interval: wait %s, want allowed", d)
	}
	if d := l.Take(a); d != 6*time.Second {
		t.Fatalf("one attempt came back, not two: wait %s, want 6s", d)
	}
}

func TestWaitSpendsNothing(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{Burst: 2, Now: c.Now})
	a := netip.MustParseAddr("198.51.100.7")
	for range 10 {
		if d := l.Wait(a); d != 0 {
			t.Fatalf("Wait = %s before any attempt, want 0", d)
		}
	}
	l.Take(a)
	l.Take(a)
	// Burst 2 without Every: two attempts a minute, one every 30s.
	if d := l.Wait(a); d != 30*time.Second {
		t.Fatalf("Wait = %s after the burst, want 30s", d)
	}
}

func TestIPv6SharesItsSlash64(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{Burst: 1, Now: newClock().Now})
	l.Take(netip.MustParseAddr("2001:db8:1:2::1"))
	if d := l.Take(netip.MustParseAddr("2001:db8:1:2:ffff::9")); d == 0 {
		t.Error("another address of the same /64 got a fresh burst")
	}
	if d := l.Take(netip.MustParseAddr("2001:db8:1:3::1")); d != 0 {
		t.Errorf("another /64: wait %s, want allowed", d)
	}
	// An IPv4-mapped address is its IPv4 address.
	l.Take(netip.MustParseAddr("192.0.2.9"))
	if d := l.Take(netip.MustParseAddr("::ffff:192.0.2.9")); d == 0 {
		t.Error("an IPv4-mapped address got a bucket of its own")
	}
}

func TestMemoryStaysBounded(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{Burst: 3, Every: time.Second, MaxAddresses: 100, Now: c.Now})
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }
	for i := range 1000 {
		l.Take(addr(i))
	}
	if n := l.Addresses(); n != 100 {
		t.Fatalf("remembers %d addresses after 1,000, want the cap of 100", n)
	}
	// The most recent stay remembered: the last address is still limited.
	last := addr(999)
	l.Take(last)
	l.Take(last)
	if d := l.Take(last); d == 0 {
		t.Error("the most recent address was forgotten")
	}
	// Once every bucket had the time to fill again (3 attempts, one a
	// second), all are forgotten at the next attempt.
	c.Advance(3 * time.Second)
	l.Take(addr(0))
	if n := l.Addresses(); n != 1 {
		t.Errorf("remembers %d addresses after they were idle, want 1", n)
	}
}

func TestNilLimiterAllowsEverything(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{Burst: 0})
	if l != nil {
		t.Fatal("Burst 0 made a limiter")
	}
	a := netip.MustParseAddr("192.0.2.1")
	for range 100 {
		if l.Take(a) != 0 || l.Wait(a) != 0 {
			t.Fatal("a nil limiter refused")
		}
	}
	if got := l.ClientAddr("192.0.2.1:4000", http.Header{"X-Forwarded-For": {"203.0.113.5"}}); got != a {
		t.Errorf("ClientAddr = %s, want the peer", got)
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{Burst: 1, TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
	}})
	untrusting := ratelimit.New(ratelimit.Options{Burst: 1})
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
		l            *ratelimit.Limiter
	}{
		{"direct client", "203.0.113.5:5000", nil, "203.0.113.5", l},
		{"direct client forging the header", "203.0.113.5:5000", []string{"198.51.100.1"}, "203.0.113.5", l},
		{"through a trusted proxy", "10.1.2.3:443", []string{"198.51.100.1"}, "198.51.100.1", l},
		{"forged hops left of the proxy's", "10.1.2.3:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1", l},
		{"two trusted proxies", "10.1.2.3:443", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1", l},
		{"IPv6 proxy", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5", l},
		{"trusted proxy without the header", "10.1.2.3:443", nil, "10.1.2.3", l},
		{"a hop that is no address", "10.1.2.3:443", []string{"unknown"}, "10.1.2.3", l},
		{"only trusted hops", "10.1.2.3:443", []string{"10.4.4.4"}, "10.4.4.4", l},
		{"no trusted proxies", "10.1.2.3:443", []string{"198.51.100.1"}, "10.1.2.3", untrusting},
	} {
		h := http.Header{}
		for _, v := range tc.xff {
			h.Add("X-Forwarded-For", v)
		}
		if got := tc.l.ClientAddr(tc.remote, h); got.String() != tc.want {
			t.Errorf("%s: ClientAddr = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 6 * time.Second: 6} {
		if got := ratelimit.RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%s) = %d, want %d", d, got, want)
		}
	}
}

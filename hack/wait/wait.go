// Package wait polls a condition in tests that wait for something another
// goroutine or process does (a reconcile loop, a controller), with a bound
// after which the test fails saying what it waited for.
package wait

import (
	"context"
	"time"
)

// T is what Until needs of a test or benchmark.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Context() context.Context
}

// Until polls cond until it holds, failing t once within has passed. cond
// also returns what it saw, for the failure message. Long waits poll less
// often: their conditions (listing thousands of objects) are not free.
func Until(t T, what string, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	every := 20 * time.Millisecond
	if within > time.Minute {
		every = time.Second
	}
	deadline := time.Now().Add(within)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if seen != "" {
				t.Fatalf("timed out waiting for %s; last seen: %s", what, seen)
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("waiting for %s: %v", what, t.Context().Err())
		case <-time.After(every):
		}
	}
}

// For is Until for a condition with nothing to report.
func For(t T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	Until(t, what, within, func() (bool, string) { return cond(), "" })
}

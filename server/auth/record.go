package auth

import (
	"context"
	"sync"
	"time"
)

// RecordInterval is how often at most the use of one service account, or
// the sign-in of one user, is written to the store: a busy client must not
// cost a write per call.
const RecordInterval = time.Minute

// record runs write unless it ran for key less than RecordInterval ago.
// A failed write is logged and not fatal: the credential is valid, the
// record only feeds "last used" and the user list, and the next request
// tries again.
func (a *Authenticator) record(ctx context.Context, key string, now time.Time, write func(context.Context) error) {
	if !a.recorded.take(key, now) {
		return
	}
	if err := write(ctx); err != nil {
		a.recorded.forget(key)
		a.log.Error(err, "record the use of a credential", "subject", key)
	}
}

// throttle remembers when each key last passed, in memory: each replica
// writes at most once per key and interval, which is enough to keep the
// store's load independent of the request rate.
type throttle struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
	swept time.Time
}

func newThrottle(every time.Duration) *throttle {
	return &throttle{every: every, last: map[string]time.Time{}}
}

// take reports whether key may pass at now, and if so remembers it.
func (t *throttle) take(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[key]; ok && now.Sub(last) < t.every {
		return false
	}
	t.last[key] = now
	// Forget keys that would pass anyway, so that the map holds only the
	// subjects seen in the last interval.
	if now.Sub(t.swept) >= t.every {
		for k, at := range t.last {
			if now.Sub(at) >= t.every {
				delete(t.last, k)
			}
		}
		t.swept = now
	}
	return true
}

// forget lets key pass next time.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.last, key)
}

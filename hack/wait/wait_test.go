package wait

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a T that records a failure instead of failing.
type recorder struct {
	ctx    context.Context
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}
func (r *recorder) Context() context.Context { return r.ctx }

func run(r *recorder, f func()) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	f()
}

func TestUntil(t *testing.T) {
	t.Parallel()
	n := 0
	For(t, "the third poll", time.Second, func() bool { n++; return n == 3 })
	if n != 3 {
		t.Errorf("polled %d times", n)
	}
	r := &recorder{ctx: t.Context()}
	run(r, func() { Until(r, "nothing", 30*time.Millisecond, func() (bool, string) { return false, "state 7" }) })
	if !strings.Contains(r.failed, "timed out waiting for nothing; last seen: state 7") {
		t.Errorf("failure %q", r.failed)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r = &recorder{ctx: ctx}
	run(r, func() { For(r, "a cancelled test", time.Minute, func() bool { return false }) })
	if !strings.Contains(r.failed, "context canceled") {
		t.Errorf("failure %q", r.failed)
	}
}

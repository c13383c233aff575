package reconcile

import (
	"sync"
	"sync/atomic"
	"time"
)

// Liveness tells a supervisor outside the loop (the service manager's
// readiness and watchdog, see package systemd) how the loop is doing,
// without the loop knowing who asks.
//
// The loop is always either busy with a step (a lease attempt, loading its
// view, a pass, releasing the lease) or waiting for work. A step that lasts
// far longer than any step should is a loop stuck in a call that never
// returns. A loop that keeps failing is not stuck: it comes round to wait
// and try again.
type Liveness struct {
	ready     chan struct{}
	readyOnce sync.Once
	// busySince is the start of the current step in Unix nanoseconds; 0
	// while the loop waits for work.
	busySince atomic.Int64
	status    atomic.Pointer[string]
}

func newLiveness() *Liveness {
	lv := &Liveness{ready: make(chan struct{})}
	lv.setStatus("starting")
	return lv
}

// Ready is closed once the loop has done its first job: a pass completed
// as the writer, or another instance found holding the writer lease (this
// one then stands by, which is its steady state).
func (lv *Liveness) Ready() <-chan struct{} { return lv.ready }

// BusySince returns when the step the loop is in began, and false while the
// loop waits for work.
func (lv *Liveness) BusySince() (time.Time, bool) {
	ns := lv.busySince.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// Status says in one line what the loop does.
func (lv *Liveness) Status() string { return *lv.status.Load() }

// busy marks the start of a step.
func (lv *Liveness) busy(status string) {
	lv.busySince.Store(time.Now().UnixNano())
	lv.setStatus(status)
}

// idle marks the end of a step: the loop waits for work.
func (lv *Liveness) idle(status string) {
	lv.busySince.Store(0)
	lv.setStatus(status)
}

func (lv *Liveness) markReady() { lv.readyOnce.Do(func() { close(lv.ready) }) }

func (lv *Liveness) setStatus(s string) { lv.status.Store(&s) }

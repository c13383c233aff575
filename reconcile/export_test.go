package reconcile

import "context"

// Lead runs one lead of the loop, without a lease, until ctx ends or the
// databroker resets.
func (l *Loop) Lead(ctx context.Context) error { return l.lead(ctx) }

// Watchers returns how many Sync watchers are running.
func (l *Loop) Watchers() int { return int(l.watchers.Load()) }

// FullCompilations returns how many times the loop loaded and compiled the
// whole of desired state.
func (l *Loop) FullCompilations() int64 { return l.desired.loads.Load() }

package reconcile

import "context"

// Lead runs one lead of the loop, without a lease, until ctx ends or the
// databroker resets.
func (l *Loop) Lead(ctx context.Context) error { return l.lead(ctx) }

// SetStatusBatch sets how many statuses the loop's status queue writes in
// one store transaction (a round is roundBatches of them); before Run.
func (l *Loop) SetStatusBatch(n int) { l.queue.batch = n }

// Watchers returns how many Sync watchers are running.
func (l *Loop) Watchers() int { return int(l.watchers.Load()) }

// FullCompilations returns how many times the loop loaded and compiled the
// whole of desired state.
func (l *Loop) FullCompilations() int64 { return l.src.d.loads.Load() }

// Synced returns the store version the last successful pass of a
// cluster's loop compiled; 0 for a cluster without a loop.
func (f *Fleet) Synced(cluster string) int64 {
	if cluster == f.def.opts.Cluster {
		return f.def.synced.Load()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.members[cluster]; ok {
		return m.loop.synced.Load()
	}
	return 0
}

// WholeIndexEvery says how often a resync reads the whole index although
// the sums agree.
const WholeIndexEvery = wholeIndexEvery

// DeferChecksAbove and DeferredSlice say how a change of what many routes
// reference is checked: at once up to DeferChecksAbove routes, past that
// DeferredSlice a pass.
const DeferChecksAbove, DeferredSlice = deferChecksAbove, deferredSlice

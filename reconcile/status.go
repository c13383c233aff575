package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
	"unique"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// statusWriter turns compile findings and the view into per-object status
// and finds what changed since it last wrote: at 100,000 routes a pass that
// changed one route must not rewrite 100,000 status rows. A statusQueue
// writes what it finds.
type statusWriter struct {
	store Store
	// mu guards written and invalid: the loop computes statuses, and a
	// resync off the loop asks which are current.
	mu      sync.Mutex
	written map[compile.ObjectKey]writtenStatus
	// invalid holds the objects whose status is an error.
	invalid map[compile.ObjectKey]bool
}

// load reads the statuses already stored, so that a new leader does not
// rewrite what its predecessor wrote.
func (w *statusWriter) load(ctx context.Context) error {
	written := map[compile.ObjectKey]writtenStatus{}
	for _, rt := range recordTypes {
		got, err := w.store.Status(ctx, rt.Kind)
		if err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		for id, s := range got {
			written[compile.ObjectKey{Kind: rt.Kind, ID: id}] = summarize(s)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written, w.invalid = written, map[compile.ObjectKey]bool{}
	return nil
}

// keys returns the objects whose statuses were written.
func (w *statusWriter) keys() []compile.ObjectKey {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Collect(maps.Keys(w.written))
}

// compute returns the statuses of the objects of keys that own reports as
// this loop's, and that changed since they were last handed over to be
// written (counting them as written from then on), and how many objects
// are invalid in all.
func (w *statusWriter) compute(target *compile.Compiler, keys []compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) ([]store.ObjectStatus, int) {
	now := time.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	var changed []store.ObjectStatus
	for _, key := range keys {
		if _, ok := typeOfKind(key.Kind); !ok {
			continue // kinds without records have no sync status
		}
		s, ok := deriveStatus(target, key, view, own)
		if !ok {
			// The store dropped its status with the object, or another
			// cluster's loop reports it.
			delete(w.written, key)
			delete(w.invalid, key)
			continue
		}
		delete(w.invalid, key)
		if s.State == store.SyncError {
			w.invalid[key] = true
		}
		if old, ok := w.written[key]; ok && old.is(s) {
			continue
		}
		s.UpdatedAt = now
		w.written[key] = summarize(s)
		changed = append(changed, s)
	}
	return changed, len(w.invalid)
}

// current reports, for each of keys (objects of kinds with records),
// whether compute would find nothing to do for it: its status is the one
// last handed over, or it has none here and none was.
func (w *statusWriter) current(target *compile.Compiler, keys []compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) []bool {
	out := make([]bool, len(keys))
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, key := range keys {
		s, ok := deriveStatus(target, key, view, own)
		old, written := w.written[key]
		if !ok {
			out[i] = !written && !w.invalid[key]
			continue
		}
		out[i] = written && old.is(s) && (s.State == store.SyncError) == w.invalid[key]
	}
	return out
}

// deriveStatus is the status of key, an object of a kind with records, as
// the compiled copy and the view have it now (without UpdatedAt); false
// when this loop reports none for it: the object is gone from the store,
// or another cluster's loop reports it.
func deriveStatus(target *compile.Compiler, key compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) (store.ObjectStatus, bool) {
	rt, _ := typeOfKind(key.Kind)
	version, exists := target.Version(key)
	if !exists || !own(key) {
		return store.ObjectStatus{}, false
	}
	s := store.ObjectStatus{Kind: rt.Kind, ID: key.ID, ObjectVersion: version, State: store.SyncPending}
	if found, _ := target.Status(key); !found.Valid {
		s.State, s.Reason, s.Field = store.SyncError, found.Reason, found.Field
	} else if e, ok := view.Get(rt.Type, key.ID); ok {
		s.State, s.RecordVersion = store.SyncSynced, e.Version
	}
	return s, true
}

// statusBatch is how many statuses a cold start computes at once, as the
// records they report are written.
const statusBatch = 5000

// statusWriteBatch bounds the statuses of one store transaction: on
// SQLite a transaction holds the write lock, which an edit's own write
// waits for.
const statusWriteBatch = 500

// writtenStatus is what the writer keeps of a status it wrote: what tells
// whether a new finding differs, in a fifth of the memory (a million
// routes have a million statuses).
type writtenStatus struct {
	objectVersion int64
	recordVersion uint64
	state         store.SyncState
	// problem is the reason and field of an error, interned: many objects
	// share one.
	problem unique.Handle[problem]
}

type problem struct{ reason, field string }

func summarize(s store.ObjectStatus) writtenStatus {
	return writtenStatus{objectVersion: s.ObjectVersion, recordVersion: s.RecordVersion, state: s.State,
		problem: unique.Make(problem{s.Reason, s.Field})}
}

// is reports whether w summarizes s, without interning s's problem.
func (w writtenStatus) is(s store.ObjectStatus) bool {
	return w.objectVersion == s.ObjectVersion && w.recordVersion == s.RecordVersion && w.state == s.State &&
		w.problem.Value() == problem{s.Reason, s.Field}
}

package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
	store   Store
	written map[compile.ObjectKey]writtenStatus
	// invalid holds the objects whose status is an error.
	invalid map[compile.ObjectKey]bool
}

// load reads the statuses already stored, so that a new leader does not
// rewrite what its predecessor wrote.
func (w *statusWriter) load(ctx context.Context) error {
	w.written = map[compile.ObjectKey]writtenStatus{}
	w.invalid = map[compile.ObjectKey]bool{}
	for _, rt := range recordTypes {
		got, err := w.store.Status(ctx, rt.Kind)
		if err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		for id, s := range got {
			w.written[compile.ObjectKey{Kind: rt.Kind, ID: id}] = summarize(s)
		}
	}
	return nil
}

// keys returns the objects whose statuses were written.
func (w *statusWriter) keys() []compile.ObjectKey {
	return slices.Collect(maps.Keys(w.written))
}

// compute returns the statuses of the objects of keys that own reports as
// this loop's, and that changed since they were last handed over to be
// written (counting them as written from then on), and how many objects
// are invalid in all.
func (w *statusWriter) compute(target *compile.Compiler, keys []compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) ([]store.ObjectStatus, int) {
	now := time.Now().UTC()
	var changed []store.ObjectStatus
	for _, key := range keys {
		rt, ok := typeOfKind(key.Kind)
		if !ok {
			continue // kinds without records have no sync status
		}
		version, exists := target.Version(key)
		if !exists || !own(key) {
			// The store dropped its status with the object, or another
			// cluster's loop reports it.
			delete(w.written, key)
			delete(w.invalid, key)
			continue
		}
		s := store.ObjectStatus{Kind: rt.Kind, ID: key.ID, ObjectVersion: version, State: store.SyncPending}
		delete(w.invalid, key)
		if found, _ := target.Status(key); !found.Valid {
			s.State, s.Reason, s.Field = store.SyncError, found.Reason, found.Field
			w.invalid[key] = true
		} else if e, ok := view.Get(rt.Type, key.ID); ok {
			s.State, s.RecordVersion = store.SyncSynced, e.Version
		}
		sum := summarize(s)
		if old, ok := w.written[key]; ok && old == sum {
			continue
		}
		s.UpdatedAt = now
		w.written[key] = sum
		changed = append(changed, s)
	}
	return changed, len(w.invalid)
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

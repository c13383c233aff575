package reconcile

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unique"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// statusWriter turns compile findings and the view into per-object status
// and finds what changed since it last wrote: at 100,000 routes a pass that
// changed one route must not rewrite 100,000 status rows. A statusQueue
// writes what it finds. What was last handed over to be written is kept
// in the view, beside the record of the same object (see row).
type statusWriter struct {
	store Store
	// mu guards invalid. A resync off the loop may read an object's
	// status before a computation and invalid after it, and then finds it
	// unsettled: a pass compares it again, which is all it costs.
	mu sync.Mutex
	// invalid holds the objects whose status is an error.
	invalid map[compile.ObjectKey]bool
}

// load reads the statuses already stored into view, a view just loaded
// that holds none yet, so that a new leader does not rewrite what its
// predecessor wrote.
func (w *statusWriter) load(ctx context.Context, view *View) error {
	for _, rt := range recordTypes {
		got, err := w.store.Status(ctx, rt.Kind)
		if err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		view.loadStatuses(rt.Kind, got)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.invalid = map[compile.ObjectKey]bool{}
	return nil
}

// compute appends to changed the statuses of the objects of keys that own
// reports as this loop's, and that changed since they were last handed
// over to be written (counting them as written from then on), and returns
// it with how many objects are invalid in all.
func (w *statusWriter) compute(changed []store.ObjectStatus, target *compile.Compiler, keys []compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) ([]store.ObjectStatus, int) {
	now := time.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, key := range keys {
		if _, ok := typeOfKind(key.Kind); !ok {
			continue // kinds without records have no sync status
		}
		version, found, ok := compiledStatus(target, key, own)
		if !ok {
			// The store dropped its status with the object, or another
			// cluster's loop reports it.
			view.forgetStatus(key)
			delete(w.invalid, key)
			continue
		}
		s, handed := view.handOverFound(key, version, found)
		delete(w.invalid, key)
		if s.State == store.SyncError {
			w.invalid[key] = true
		}
		if !handed {
			continue // the one handed over already
		}
		s.UpdatedAt = now
		changed = append(changed, s)
	}
	return changed, len(w.invalid)
}

// current reports, for each of keys (objects of kinds with records),
// whether compute would find nothing to do for it: its status is the one
// last handed over, or it has none here and none was.
func (w *statusWriter) current(target *compile.Compiler, keys []compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) []bool {
	found := make([]store.ObjectStatus, len(keys))
	reported := make([]bool, len(keys))
	rows := make([]row, len(keys))
	for i, key := range keys {
		found[i], reported[i] = deriveStatus(target, key, view, own)
		rows[i].status, rows[i].handed = view.handedOver(key)
	}
	out := make([]bool, len(keys))
	w.settled(keys, rows, found, reported, out)
	return out
}

// settled reports into out, for each of keys, whether the status found for
// it (reported false: this loop reports none) is the one last handed over,
// which rows[i], the view's row of it, holds; or whether it has none here
// and none was handed over.
func (w *statusWriter) settled(keys []compile.ObjectKey, rows []row, found []store.ObjectStatus, reported, out []bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, key := range keys {
		r := rows[i]
		if !reported[i] {
			out[i] = !r.handed && !w.invalid[key]
			continue
		}
		s := found[i]
		out[i] = r.handed && r.status.is(s) && (s.State == store.SyncError) == w.invalid[key]
	}
}

// deriveStatus is the status of key, an object of a kind with records, as
// the compiled copy and the view have it now (without UpdatedAt); false
// when this loop reports none for it: the object is gone from the store,
// or another cluster's loop reports it.
func deriveStatus(target *compile.Compiler, key compile.ObjectKey, view *View, own func(compile.ObjectKey) bool) (store.ObjectStatus, bool) {
	version, found, ok := compiledStatus(target, key, own)
	if !ok {
		return store.ObjectStatus{}, false
	}
	rt, _ := typeOfKind(key.Kind)
	var rec entry
	inView := false
	if found.Valid {
		rec, inView = view.Get(rt.Type, key.ID)
	}
	return reportedStatus(key, version, found, rec, inView), true
}

// compiledStatus is what the compiled copy says of key, an object of a kind
// with records, toward its status: the version compiled and the outcome;
// false when this loop reports none for it (see deriveStatus).
func compiledStatus(target *compile.Compiler, key compile.ObjectKey, own func(compile.ObjectKey) bool) (version int64, found compile.Status, ok bool) {
	version, exists := target.Version(key)
	if !exists || !own(key) {
		return 0, compile.Status{}, false
	}
	found, _ = target.Status(key)
	return version, found, true
}

// reportedStatus is the status of an object at version that this loop reports,
// given the outcome of compiling it and the view's record of it (inView
// false: none).
func reportedStatus(key compile.ObjectKey, version int64, found compile.Status, rec entry, inView bool) store.ObjectStatus {
	s := store.ObjectStatus{Kind: key.Kind, ID: key.ID, ObjectVersion: version, State: store.SyncPending}
	if !found.Valid {
		s.State, s.Reason, s.Field = store.SyncError, found.Reason, found.Field
	} else if inView {
		s.State, s.RecordVersion = store.SyncSynced, rec.Version
	}
	return s
}

// statusBatch is how many statuses a cold start computes at once, as the
// records they report are written.
const statusBatch = 5000

// statusWriteBatch bounds the statuses of one store transaction: on
// SQLite a transaction holds the write lock, which an edit's own write
// waits for.
const statusWriteBatch = 500

// writtenStatus is what the writer keeps of a status it wrote: what tells
// whether a new finding differs, in a fraction of the memory (a million
// routes have a million statuses).
type writtenStatus struct {
	objectVersion int64
	recordVersion uint64
	// outcome is the state, reason and field, interned: nearly every
	// object shares one.
	outcome unique.Handle[outcome]
}

type outcome struct {
	state         store.SyncState
	reason, field string
}

func summarize(s store.ObjectStatus) writtenStatus {
	return writtenStatus{objectVersion: s.ObjectVersion, recordVersion: s.RecordVersion,
		outcome: unique.Make(outcome{s.State, s.Reason, s.Field})}
}

// is reports whether w summarizes s, without interning s's outcome.
func (w writtenStatus) is(s store.ObjectStatus) bool {
	return w.objectVersion == s.ObjectVersion && w.recordVersion == s.RecordVersion &&
		w.outcome.Value() == outcome{s.State, s.Reason, s.Field}
}

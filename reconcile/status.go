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
// writes what it finds.
type statusWriter struct {
	store Store
	// mu guards written and invalid: the loop computes statuses, and a
	// resync off the loop asks which are current.
	mu sync.Mutex
	// written holds, by kind and id, what was last handed over to be
	// written: a map per kind keeps a million keys in two thirds of the
	// memory that kind and id together would take.
	written map[store.Kind]map[string]writtenStatus
	// invalid holds the objects whose status is an error.
	invalid map[compile.ObjectKey]bool
}

// lookup returns what was handed over for key; mu is held.
func (w *statusWriter) lookup(key compile.ObjectKey) (writtenStatus, bool) {
	s, ok := w.written[key.Kind][key.ID]
	return s, ok
}

// note keeps what was handed over for key; mu is held.
func (w *statusWriter) note(key compile.ObjectKey, s writtenStatus) {
	byID := w.written[key.Kind]
	if byID == nil {
		byID = map[string]writtenStatus{}
		w.written[key.Kind] = byID
	}
	byID[key.ID] = s
}

// load reads the statuses already stored, so that a new leader does not
// rewrite what its predecessor wrote.
func (w *statusWriter) load(ctx context.Context) error {
	written := map[store.Kind]map[string]writtenStatus{}
	for _, rt := range recordTypes {
		got, err := w.store.Status(ctx, rt.Kind)
		if err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		byID := make(map[string]writtenStatus, len(got))
		for id, s := range got {
			byID[id] = summarize(s)
		}
		written[rt.Kind] = byID
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
	var keys []compile.ObjectKey
	for kind, byID := range w.written {
		for id := range byID {
			keys = append(keys, compile.ObjectKey{Kind: kind, ID: id})
		}
	}
	return keys
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
			delete(w.written[key.Kind], key.ID)
			delete(w.invalid, key)
			continue
		}
		delete(w.invalid, key)
		if s.State == store.SyncError {
			w.invalid[key] = true
		}
		if old, ok := w.lookup(key); ok && old.is(s) {
			continue
		}
		s.UpdatedAt = now
		w.note(key, summarize(s))
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
	for i, key := range keys {
		found[i], reported[i] = deriveStatus(target, key, view, own)
	}
	out := make([]bool, len(keys))
	w.settled(keys, found, reported, out)
	return out
}

// settled reports into out, for each of keys, whether the status found for it
// (reported false: this loop reports none) is the one last handed over,
// or it has none here and none was. What was handed over is kept under
// the key's id from then on: the compiled copy's string, where statuses
// loaded from the store held copies of their own.
func (w *statusWriter) settled(keys []compile.ObjectKey, found []store.ObjectStatus, reported, out []bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, key := range keys {
		old, written := w.lookup(key)
		if written {
			w.note(key, old) // assigning replaces the key
		}
		if !reported[i] {
			out[i] = !written && !w.invalid[key]
			continue
		}
		s := found[i]
		out[i] = written && old.is(s) && (s.State == store.SyncError) == w.invalid[key]
	}
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
	found, _ := target.Status(key)
	var rec entry
	inView := false
	if found.Valid {
		rec, inView = view.Get(rt.Type, key.ID)
	}
	return reportedStatus(key, version, found, rec, inView), true
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

package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// statusWriter turns compile findings and the view into per-object status
// and writes only what changed since it last wrote: at 100,000 routes a pass
// that changed one route must not rewrite 100,000 status rows.
type statusWriter struct {
	store   store.Store
	written map[compile.ObjectKey]store.ObjectStatus
}

// load reads the statuses already stored, so that a new leader does not
// rewrite what its predecessor wrote.
func (w *statusWriter) load(ctx context.Context) error {
	w.written = map[compile.ObjectKey]store.ObjectStatus{}
	for _, rt := range recordTypes {
		got, err := w.store.Status(ctx, rt.Kind)
		if err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		for id, s := range got {
			w.written[compile.ObjectKey{Kind: rt.Kind, ID: id}] = s
		}
	}
	return nil
}

// write stores the status of every object that has a record type and
// returns how many objects are invalid.
func (w *statusWriter) write(ctx context.Context, st *store.State, res *compile.Result, view *View) (int, error) {
	now := time.Now().UTC()
	seen := make(map[compile.ObjectKey]bool, len(w.written))
	var changed []store.ObjectStatus
	invalid := 0
	for _, obj := range st.Objects() {
		rt, ok := typeOfKind(obj.Kind())
		if !ok {
			continue // kinds without records have no sync status
		}
		m := obj.GetObjectMeta()
		key := compile.ObjectKey{Kind: rt.Kind, ID: m.ID}
		seen[key] = true
		s := store.ObjectStatus{Kind: rt.Kind, ID: m.ID, ObjectVersion: m.Version, State: store.SyncPending}
		if found, ok := res.Status[key]; ok && !found.Valid {
			s.State, s.Reason, s.Field = store.SyncError, found.Reason, found.Field
			invalid++
		} else if e, ok := view.Get(rt.Type, m.ID); ok {
			s.State, s.RecordVersion = store.SyncSynced, e.Version
		}
		if sameStatus(w.written[key], s) {
			continue
		}
		s.UpdatedAt = now
		changed = append(changed, s)
	}
	if err := w.store.SetStatus(ctx, changed); err != nil {
		return invalid, fmt.Errorf("write statuses: %w", err)
	}
	for _, s := range changed {
		w.written[compile.ObjectKey{Kind: s.Kind, ID: s.ID}] = s
	}
	for key := range w.written {
		if !seen[key] {
			delete(w.written, key) // the store dropped it with the object
		}
	}
	return invalid, nil
}

func sameStatus(a, b store.ObjectStatus) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	return a == b
}

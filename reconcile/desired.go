package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pomerium-console/pomerium-console/store"
)

// desired is the loop's copy of desired state. It is loaded whole once (and
// again on every periodic resync or when the change feed may have missed
// something) and otherwise brought up to date with Store.Changes, so that a
// pass after one edit reads one object instead of every object.
type desired struct {
	store   store.Store
	version int64
	objects map[store.Kind]map[string]store.Object
}

// invalidate makes the next refresh read everything again.
func (d *desired) invalidate() { d.objects = nil }

// refresh brings the copy up to the store's current version and returns it
// as a State.
func (d *desired) refresh(ctx context.Context) (*store.State, error) {
	if d.objects == nil {
		st, err := d.store.Load(ctx, store.WithSecrets())
		if err != nil {
			return nil, fmt.Errorf("load desired state: %w", err)
		}
		d.fill(st)
	} else if err := d.catchUp(ctx); err != nil {
		return nil, err
	}
	return d.state(), nil
}

func (d *desired) fill(st *store.State) {
	d.version = st.Version
	// Only the kinds compilation reads are kept.
	d.objects = map[store.Kind]map[string]store.Object{}
	for _, rt := range recordTypes {
		d.objects[rt.Kind] = map[string]store.Object{}
	}
	d.objects[store.KindNamespace] = map[string]store.Object{}
	for _, o := range st.Objects() {
		if byID := d.objects[o.Kind()]; byID != nil {
			byID[o.GetObjectMeta().ID] = o
		}
	}
}

// catchUp applies the changes committed since the copy's version. Changes
// carry no secrets, so a changed key pair is read again with its key.
func (d *desired) catchUp(ctx context.Context) error {
	cs, err := d.store.Changes(ctx, d.version, 0)
	if err != nil {
		return fmt.Errorf("read changes after %d: %w", d.version, err)
	}
	for _, c := range cs.Changes {
		byID := d.objects[c.Kind]
		if byID == nil {
			continue // kinds compilation does not read
		}
		obj := c.Object
		if kp, ok := obj.(*store.KeyPair); ok && kp.HasPrivateKey {
			obj, err = d.store.Get(ctx, store.KindKeyPair, kp.ID, store.WithSecrets())
			if errors.Is(err, store.ErrNotFound) {
				obj = nil // deleted since Changes read it; a later change says so
			} else if err != nil {
				return fmt.Errorf("read key pair %s: %w", kp.ID, err)
			}
		}
		if obj == nil {
			delete(byID, c.ID)
		} else {
			byID[c.ID] = obj
		}
	}
	d.version = cs.StoreVersion
	return nil
}

// state returns the copy as a State, each kind ordered by id so that
// compilation sees the same input whichever way the copy was built.
func (d *desired) state() *store.State {
	st := &store.State{Version: d.version}
	st.Namespaces = sorted[*store.Namespace](d.objects[store.KindNamespace])
	st.Policies = sorted[*store.Policy](d.objects[store.KindPolicy])
	st.Routes = sorted[*store.Route](d.objects[store.KindRoute])
	st.KeyPairs = sorted[*store.KeyPair](d.objects[store.KindKeyPair])
	if s, ok := d.objects[store.KindSettings][store.SettingsID].(*store.Settings); ok {
		st.Settings = s
	}
	return st
}

func sorted[T store.Object](byID map[string]store.Object) []T {
	out := make([]T, 0, len(byID))
	for _, o := range byID {
		out = append(out, o.(T))
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(a.GetObjectMeta().ID, b.GetObjectMeta().ID) })
	return out
}

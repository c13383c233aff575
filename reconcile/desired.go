package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// desired is the loop's compiled copy of desired state. It is loaded whole
// once (and again on every periodic resync or when the change feed may have
// missed something) and otherwise brought up to date with Store.Changes, so
// that a pass after one edit reads and compiles one object instead of every
// object.
type desired struct {
	store    store.Store
	version  int64
	compiler *compile.Compiler
	// reload makes the next refresh read everything again.
	reload bool
	// owed are objects a failed pass did not finish with: the next pass
	// looks at them again.
	owed []compile.ObjectKey
}

// invalidate makes the next refresh read everything again.
func (d *desired) invalidate() { d.reload = true }

// refresh brings the compiled copy up to the store's current version. It
// returns the objects whose record or status may have changed, and whether
// everything was read again (after which every object deserves a look).
func (d *desired) refresh(ctx context.Context) (keys []compile.ObjectKey, full bool, err error) {
	full = d.reload || d.compiler == nil
	var changes []store.Change
	var st *store.State
	if full {
		st, err = d.store.Load(ctx, store.WithSecrets())
		if err != nil {
			return nil, true, fmt.Errorf("load desired state: %w", err)
		}
		if st.Settings != nil && st.Settings.Version == 0 {
			st.Settings = nil // settings nobody set are not written
		}
	} else if changes, err = d.changes(ctx); err != nil {
		return nil, false, err
	}
	if d.compiler == nil {
		d.compiler = compile.NewCompiler()
		d.compiler.Owns = true // the objects read are used for nothing else
	}
	if keys, err = d.compile(st, changes); err != nil {
		// What the compiler holds is unknown after a panic: start over.
		d.compiler, d.owed = nil, nil
		return nil, full, err
	}
	if full {
		d.version, d.reload = st.Version, false
	}
	keys, d.owed = append(keys, d.owed...), nil
	return keys, full, nil
}

// compile applies a full state (st) or changes, turning a panic of the
// compiler into an error: a bug that one object triggers must not stop the
// loop from serving everything else.
func (d *desired) compile(st *store.State, changes []store.Change) (keys []compile.ObjectKey, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compile panicked: %v", r)
		}
	}()
	if st != nil {
		return d.compiler.Reset(st), nil
	}
	return d.compiler.Apply(changes), nil
}

// owe hands the objects of a failed pass to the next one.
func (d *desired) owe(keys []compile.ObjectKey) { d.owed = append(d.owed, keys...) }

// changes reads the changes committed since the copy's version. Changes
// carry no secrets, so a changed key pair is read again with its key.
func (d *desired) changes(ctx context.Context) ([]store.Change, error) {
	cs, err := d.store.Changes(ctx, d.version, 0)
	if err != nil {
		return nil, fmt.Errorf("read changes after %d: %w", d.version, err)
	}
	for i, c := range cs.Changes {
		kp, ok := c.Object.(*store.KeyPair)
		if !ok || !kp.HasPrivateKey {
			continue
		}
		obj, err := d.store.Get(ctx, store.KindKeyPair, kp.ID, store.WithSecrets())
		if errors.Is(err, store.ErrNotFound) {
			obj = nil // deleted since Changes read it; a later change says so
		} else if err != nil {
			return nil, fmt.Errorf("read key pair %s: %w", kp.ID, err)
		}
		cs.Changes[i].Object = obj
	}
	d.version = cs.StoreVersion
	return cs.Changes, nil
}

package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// desired is the loop's compiled copy of desired state. It is loaded whole
// once and otherwise brought up to date with Store.Changes (or, on every
// periodic resync or when the change feed may have missed something, by
// comparing versions with Store.Index), so that a pass after one edit reads
// and compiles one object instead of every object. It outlives the loop's
// leads: a new lead catches it up like any pass.
type desired struct {
	store    Store
	version  int64
	compiler *compile.Compiler
	// loads counts the loads of the whole state, each compiled from
	// scratch, so that a test can tell that a lease blip cost none.
	loads atomic.Int64
	// reload makes the next refresh read everything again.
	reload bool
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
	var version int64
	switch {
	case d.compiler == nil:
		st, err = d.store.Load(ctx, store.WithSecrets())
		if err != nil {
			return nil, true, fmt.Errorf("load desired state: %w", err)
		}
		if st.Settings != nil && st.Settings.Version == 0 {
			st.Settings = nil // settings nobody set are not written
		}
		version = st.Version
		d.loads.Add(1)
	case d.reload:
		changes, version, err = d.reread(ctx)
	default:
		changes, version, err = d.changes(ctx)
	}
	if err != nil {
		return nil, full, err
	}
	if d.compiler == nil {
		d.compiler = compile.NewCompiler()
	}
	if keys, err = d.compile(st, changes); err != nil {
		// What the compiler holds is unknown after a panic: start over.
		d.compiler = nil
		return nil, full, err
	}
	d.version, d.reload = version, false
	return keys, full, nil
}

// loadChunk is how many routes a first load compiles and hands on at a
// time: enough that a part's records fill a few Put requests, few enough
// that the first of them goes out early.
const loadChunk = 2000

// loadEach reads desired state as a first load does, handing it to part in
// parts: every object but the routes, then the routes loadChunk at a time.
// It returns the version read.
func (d *desired) loadEach(ctx context.Context, part func([]store.Change) error) (int64, error) {
	var batch []store.Change
	routes := false
	var partErr error // not the store's: said as it is
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		partErr = part(batch)
		batch = nil
		return partErr
	}
	version, err := d.store.LoadEach(ctx, func(o store.Object) error {
		m := o.GetObjectMeta()
		if o.Kind() == store.KindSettings && m.Version == 0 {
			return nil // settings nobody set are not written
		}
		if o.Kind() == store.KindRoute && !routes {
			// Everything a route compiles against comes first.
			routes = true
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, store.Change{Kind: o.Kind(), ID: m.ID, Version: m.Version, Object: o})
		if routes && len(batch) >= loadChunk {
			return flush()
		}
		return nil
	}, store.WithSecrets())
	if err == nil {
		err = flush()
	}
	switch {
	case partErr != nil:
		return 0, partErr
	case err != nil:
		return 0, fmt.Errorf("load desired state: %w", err)
	}
	d.loads.Add(1)
	return version, nil
}

// reread compares every live object's version with the compiled copy and
// reads only the objects that differ: the periodic resync, at a fraction of
// the cost of loading 100,000 routes that have not changed.
func (d *desired) reread(ctx context.Context) ([]store.Change, int64, error) {
	idx, err := d.store.Index(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the store's index: %w", err)
	}
	live := make(map[compile.ObjectKey]bool, len(idx.Entries))
	stale := map[store.Kind][]string{}
	for _, e := range idx.Entries {
		if !compile.Compiles(e.Kind) {
			continue
		}
		key := compile.ObjectKey{Kind: e.Kind, ID: e.ID}
		live[key] = true
		if v, ok := d.compiler.Version(key); !ok || v != e.Version {
			stale[e.Kind] = append(stale[e.Kind], e.ID)
		}
	}
	var changes []store.Change
	for _, key := range d.compiler.Keys() {
		if !live[key] {
			changes = append(changes, store.Change{Kind: key.Kind, ID: key.ID})
		}
	}
	for k, ids := range stale {
		read, err := d.read(ctx, k, ids)
		if err != nil {
			return nil, 0, err
		}
		changes = append(changes, read...)
	}
	return changes, idx.Version, nil
}

// read returns the objects of kind k with the given ids as changes; one
// deleted since the index was read is a deletion. A later Changes delivers
// whatever was written after the index again, which is harmless.
func (d *desired) read(ctx context.Context, k store.Kind, ids []string) ([]store.Change, error) {
	const chunk = 500
	var out []store.Change
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		res, err := d.store.List(ctx, k, store.ListQuery{IDs: part})
		if err != nil {
			return nil, fmt.Errorf("read changed %s objects: %w", k, err)
		}
		found := make(map[string]bool, len(res.Objects))
		for _, o := range res.Objects {
			m := o.GetObjectMeta()
			found[m.ID] = true
			out = append(out, store.Change{Kind: k, ID: m.ID, Version: m.Version, Object: o})
		}
		for _, id := range part {
			if !found[id] {
				out = append(out, store.Change{Kind: k, ID: id})
			}
		}
	}
	return out, d.withSecrets(ctx, out)
}

// compile applies a full state (st) or changes, turning a panic of the
// compiler into an error: a bug that one object triggers must not stop the
// loop from serving everything else. The compiler takes the routes over:
// what refresh reads is used for nothing else.
func (d *desired) compile(st *store.State, changes []store.Change) (keys []compile.ObjectKey, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compile panicked: %v", r)
		}
	}()
	if st != nil {
		return d.compiler.ResetOwned(st), nil
	}
	return d.compiler.ApplyOwned(changes), nil
}

// changes reads the changes committed since the copy's version.
func (d *desired) changes(ctx context.Context) ([]store.Change, int64, error) {
	cs, err := d.store.Changes(ctx, d.version, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("read changes after %d: %w", d.version, err)
	}
	return cs.Changes, cs.StoreVersion, d.withSecrets(ctx, cs.Changes)
}

// withSecrets reads the key pairs among changes again with their private
// keys, which changes and lists leave out.
func (d *desired) withSecrets(ctx context.Context, changes []store.Change) error {
	for i, c := range changes {
		kp, ok := c.Object.(*store.KeyPair)
		if !ok || !kp.HasPrivateKey {
			continue
		}
		obj, err := d.store.Get(ctx, store.KindKeyPair, kp.ID, store.WithSecrets())
		if errors.Is(err, store.ErrNotFound) {
			obj = nil // deleted since it was read; a later change says so
		} else if err != nil {
			return fmt.Errorf("read key pair %s: %w", kp.ID, err)
		}
		changes[i].Object = obj
	}
	return nil
}

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
	// found, when not nil, is what a resync read off the loop found, for
	// the next refresh to apply.
	found *resyncFound
	// sums are the compiled copy's objects summed per kind as the store's
	// IndexSums sums its own: a resync whose sums agree at the same
	// version need not read the index.
	sums map[store.Kind]store.IndexSum
}

// start makes an empty compiled copy.
func (d *desired) start() {
	d.compiler, d.sums = compile.NewCompiler(), map[store.Kind]store.IndexSum{}
}

// agrees reports whether the store's sums are the compiled copy's, at the
// copy's version.
func (d *desired) agrees(sums *store.IndexSums) bool {
	if d.compiler == nil || sums.Version != d.version {
		return false
	}
	for k, sum := range sums.Kinds {
		if compile.Compiles(k) && d.sums[k] != sum {
			return false
		}
	}
	for k, sum := range d.sums {
		if _, ok := sums.Kinds[k]; !ok && sum != (store.IndexSum{}) {
			return false
		}
	}
	return true
}

// resyncFound is what a resync found that the compiled copy lacks: the
// objects whose version differs from the store's index, read again, and
// those the index no longer lists, as deletions; and the index's version.
type resyncFound struct {
	changes []store.Change
	version int64
	// sweep lists the objects for the sweep that follows: those the
	// compiled copy holds, with viewOnly, the records of other kinds than
	// routes that only the view holds; then only those a pass would
	// change, routes only the view holds included, in the order of
	// sweepList (Loop.unsettledSweep).
	sweep, viewOnly []compile.ObjectKey
	// sweepExact says no route left the compiled copy while sweep was
	// listed, so that sweep lists each route it held once.
	sweepExact bool
}

// invalidate makes the next refresh read everything again.
func (d *desired) invalidate() { d.reload = true }

// refresh brings the compiled copy, which a first load (loadEach) made, up
// to the store's current version. It returns the objects whose record or
// status may have changed, and whether everything was read again (after
// which every object deserves a look).
func (d *desired) refresh(ctx context.Context) (keys []compile.ObjectKey, full bool, err error) {
	full = d.reload || d.found != nil
	var changes []store.Change
	var version int64
	switch {
	case d.reload:
		changes, version, err = d.reread(ctx)
	case d.found != nil:
		// Found off the loop, maybe before changes the copy already has:
		// only what is still missing is applied, and what Changes brings
		// next is what came after the copy's version.
		var more []store.Change
		more, version, err = d.changes(ctx)
		changes = append(d.stillMissing(d.found), more...)
	default:
		changes, version, err = d.changes(ctx)
	}
	if err != nil {
		return nil, full, err
	}
	if keys, err = d.compile(changes); err != nil {
		// What the compiler holds is unknown after a panic: start over.
		d.compiler = nil
		return nil, full, err
	}
	d.version, d.reload, d.found = version, false, nil
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

// reread compares every live object's version in the store's index with
// the compiled copy and reads only the objects that differ: a resync on the
// loop, at a fraction of the cost of loading 100,000 routes that have not
// changed.
func (d *desired) reread(ctx context.Context) ([]store.Change, int64, error) {
	idx, err := d.store.Index(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the store's index: %w", err)
	}
	cmp := newIndexComparison(idx)
	cmp.entries(d.compiler, idx.Entries)
	cmp.held(d.compiler.Keys())
	found, err := cmp.read(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	return found.changes, idx.Version, nil
}

// indexComparison compares a store index with a compiled copy, in as many
// steps as its caller likes.
type indexComparison struct {
	idx   *store.Index
	live  map[compile.ObjectKey]bool
	stale map[store.Kind][]string
	gone  []store.Change
}

func newIndexComparison(idx *store.Index) *indexComparison {
	return &indexComparison{idx: idx, live: make(map[compile.ObjectKey]bool, len(idx.Entries)), stale: map[store.Kind][]string{}}
}

// entries notes the index entries whose object c lacks or holds at an older
// version.
func (x *indexComparison) entries(c *compile.Compiler, entries []store.IndexEntry) {
	for _, e := range entries {
		if !compile.Compiles(e.Kind) {
			continue
		}
		key := compile.ObjectKey{Kind: e.Kind, ID: e.ID}
		x.live[key] = true
		if v, ok := c.Version(key); !ok || v < e.Version {
			x.stale[e.Kind] = append(x.stale[e.Kind], e.ID)
		}
	}
}

// held notes the objects of keys, which the compiled copy holds, that the
// index does not list: deleted.
func (x *indexComparison) held(keys []compile.ObjectKey) {
	for _, key := range keys {
		if !x.live[key] {
			x.gone = append(x.gone, store.Change{Kind: key.Kind, ID: key.ID})
		}
	}
}

// read reads the stale objects again.
func (x *indexComparison) read(ctx context.Context, d *desired) (*resyncFound, error) {
	changes := x.gone
	for k, ids := range x.stale {
		read, err := d.read(ctx, k, ids)
		if err != nil {
			return nil, err
		}
		changes = append(changes, read...)
	}
	return &resyncFound{changes: changes, version: x.idx.Version}, nil
}

// stillMissing returns the changes of f that the compiled copy still lacks:
// f was found while the loop went on applying the store's changes, so an
// object the copy holds at f's version or later is left alone, an object
// read at a version the copy has passed without holding it was deleted
// since, and a deletion counts only for an object the copy holds from
// before the index was read.
func (d *desired) stillMissing(f *resyncFound) []store.Change {
	var out []store.Change
	for _, c := range f.changes {
		v, held := d.compiler.Version(compile.ObjectKey{Kind: c.Kind, ID: c.ID})
		switch {
		case c.Object == nil && held && v <= f.version:
		case c.Object != nil && held && v < c.Version:
		case c.Object != nil && !held && c.Version > d.version:
		default:
			continue
		}
		out = append(out, c)
	}
	return out
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

// compile applies changes, turning a panic of the compiler into an error:
// a bug that one object triggers must not stop the loop from serving
// everything else. The compiler takes the routes over: what is read is used
// for nothing else.
func (d *desired) compile(changes []store.Change) (keys []compile.ObjectKey, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compile panicked: %v", r)
		}
	}()
	// The sums take out what the copy held of each object and add what
	// it holds after: each object once, however often it changed.
	objects := make(map[compile.ObjectKey]struct{}, len(changes))
	for _, c := range changes {
		objects[compile.ObjectKey{Kind: c.Kind, ID: c.ID}] = struct{}{}
	}
	d.sum(objects, -1)
	keys = d.compiler.ApplyOwned(changes)
	d.sum(objects, 1)
	return keys, nil
}

// sum adds (sign 1) or takes out (sign -1) the versions the compiled copy
// holds of objects to or from its sums.
func (d *desired) sum(objects map[compile.ObjectKey]struct{}, sign int64) {
	for k := range objects {
		if !compile.Compiles(k.Kind) {
			continue
		}
		if v, ok := d.compiler.Version(k); ok {
			s := d.sums[k.Kind]
			s.Count += sign
			s.Versions += sign * v
			d.sums[k.Kind] = s
		}
	}
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

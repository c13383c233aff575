package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
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
	// IndexSums sums its own: a resync whose sums agree (see agrees) need
	// not read the index.
	sums map[store.Kind]store.IndexSum
	// past holds what the last refreshes changed, oldest first, so that
	// agrees can tell the copy's sums at a version it has since passed:
	// the version of a resync's snapshot, read while edits keep coming.
	past []refreshed
	// pastSize is past's size as pastMax counts it.
	pastSize int
	// routes is how many routes the store held as the last first load
	// began, by its sums: what the loop's maps of routes make room for.
	routes int
}

// refreshed is what one refresh changed of the compiled copy: the version
// it started from and each object it changed, as the copy held it before.
type refreshed struct {
	from  int64
	prior []heldAt
}

// heldAt is an object as the compiled copy held it: at version, or not at
// all.
type heldAt struct {
	key     compile.ObjectKey
	version int64
	held    bool
}

// pastMax bounds desired.past: the objects its refreshes changed and one
// for each refresh. A stream of edits takes a refresh an edit, a few
// objects each; a bulk write, thousands.
const pastMax = 4096

// start makes an empty compiled copy.
func (d *desired) start() {
	d.compiler, d.sums = compile.NewCompiler(), map[store.Kind]store.IndexSum{}
	d.compiler.DeferChecks(deferChecksAbove)
	d.past, d.pastSize = nil, 0
}

// agrees reports whether the store's sums match the compiled copy's as it
// was at its newest version at or before the sums' snapshot (see at), once
// the objects written after that version (sums.Written) are set aside on
// both sides: those the store holds live from its sums, those the copy
// held from the copy's. A write at or before that version that the copy
// missed is in neither list, and so tells, unless its object was written
// again since: the copy then takes that later write.
func (d *desired) agrees(sums *store.IndexSums) bool {
	if d.compiler == nil {
		return false
	}
	version, copySums, heldVersion, ok := d.at(sums.Version)
	if !ok {
		return false
	}
	storeSums := sums.Kinds
	if sums.Version > version {
		if sums.WrittenOver || sums.After > version {
			return false // the writes since the copy's version are not all listed
		}
		storeSums, copySums = maps.Clone(sums.Kinds), maps.Clone(copySums)
		for _, w := range sums.Written {
			if w.Version <= version || !compile.Compiles(w.Kind) {
				continue // the copy holds this write, as the store does
			}
			if !w.Deleted {
				addSum(storeSums, w.Kind, w.Version, -1)
			}
			if v, ok := heldVersion(compile.ObjectKey{Kind: w.Kind, ID: w.ID}); ok {
				addSum(copySums, w.Kind, v, -1)
			}
		}
	}
	for k, sum := range storeSums {
		if compile.Compiles(k) && copySums[k] != sum {
			return false
		}
	}
	for k, sum := range copySums {
		if _, ok := storeSums[k]; !ok && sum != (store.IndexSum{}) {
			return false
		}
	}
	return true
}

// at returns the compiled copy as it was at its newest version up to
// version: that version (then), its sums, which the caller must not change,
// and the version at which it held each object. Past refreshes are undone
// for it, newest first; ok is false when past does not reach back so far.
func (d *desired) at(version int64) (then int64, sums map[store.Kind]store.IndexSum, heldVersion func(compile.ObjectKey) (int64, bool), ok bool) {
	if d.version <= version {
		return d.version, d.sums, d.compiler.Version, true
	}
	sums = maps.Clone(d.sums)
	undone := map[compile.ObjectKey]heldAt{}
	heldVersion = func(k compile.ObjectKey) (int64, bool) {
		if h, ok := undone[k]; ok {
			return h.version, h.held
		}
		return d.compiler.Version(k)
	}
	for i := len(d.past) - 1; i >= 0; i-- {
		r := d.past[i]
		for j := len(r.prior) - 1; j >= 0; j-- {
			h := r.prior[j]
			if v, ok := heldVersion(h.key); ok {
				addSum(sums, h.key.Kind, v, -1)
			}
			if h.held {
				addSum(sums, h.key.Kind, h.version, 1)
			}
			undone[h.key] = h
		}
		if r.from <= version {
			return r.from, sums, heldVersion, true
		}
	}
	return 0, nil, nil, false
}

// prior returns the objects of changes as the compiled copy holds them,
// for remember; ok is false when there are more than pastMax.
func (d *desired) prior(changes []store.Change) (prior []heldAt, ok bool) {
	if len(changes) > pastMax {
		return nil, false
	}
	for _, c := range changes {
		if !compile.Compiles(c.Kind) {
			continue
		}
		k := compile.ObjectKey{Kind: c.Kind, ID: c.ID}
		v, held := d.compiler.Version(k)
		prior = append(prior, heldAt{key: k, version: v, held: held})
	}
	return slices.Clip(prior), true
}

// remember keeps what a refresh from version from to version to changed
// (prior; ok is false when that was too much to keep, which forgets every
// refresh), dropping the oldest refreshes past pastMax. A refresh that
// changed nothing it compiles and left the version as it was is not kept:
// every loop of a fleet makes one each pass.
func (d *desired) remember(from, to int64, prior []heldAt, ok bool) {
	switch {
	case !ok:
		d.past, d.pastSize = nil, 0
		return
	case len(prior) == 0 && from == to:
		return
	}
	d.past = append(d.past, refreshed{from: from, prior: prior})
	d.pastSize += len(prior) + 1
	for d.pastSize > pastMax {
		d.pastSize -= len(d.past[0].prior) + 1
		d.past[0] = refreshed{}
		d.past = d.past[1:]
	}
}

// addSum adds (sign 1) an object of kind k at version v to sums, or takes
// it out (sign -1).
func addSum(sums map[store.Kind]store.IndexSum, k store.Kind, v, sign int64) {
	s := sums[k]
	s.Count += sign
	s.Versions += sign * v
	sums[k] = s
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
	prior, ok := d.prior(changes)
	if keys, err = d.compile(changes); err != nil {
		// What the compiler holds is unknown after a panic: start over.
		d.compiler = nil
		return nil, full, err
	}
	d.remember(d.version, version, prior, ok)
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
	// A first load of a million routes would grow the maps that hold
	// them from empty. The sums are only a size: a store whose sums cannot
	// be read cannot be loaded either, and says why below.
	if sums, err := d.store.IndexSums(ctx, math.MaxInt64, 0); err == nil {
		d.routes = int(sums.Kinds[store.KindRoute].Count)
		d.compiler.Reserve(d.routes)
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
	}, store.WithSecrets(), store.WithEncodedSpecs())
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
	defer panicked(&err)
	// The sums take out what the copy held of each object and add what
	// it holds after: each object once, however often it changed.
	objects := make(map[compile.ObjectKey]struct{}, len(changes))
	for _, c := range changes {
		objects[compile.ObjectKey{Kind: c.Kind, ID: c.ID}] = struct{}{}
	}
	d.sum(objects, -1)
	keys = d.compiler.ApplyOwned(changes)
	d.sum(objects, 1)
	if d.compiler.Deferred() > 0 {
		// A slice of the routes whose check a change deferred (see
		// deferChecksAbove).
		keys = union(keys, d.compiler.CheckDeferred(deferredSlice))
	}
	return keys, nil
}

// checkDeferred checks n of the routes whose check a change deferred (all
// for a negative n) and returns them.
func (d *desired) checkDeferred(n int) (keys []compile.ObjectKey, err error) {
	defer panicked(&err)
	return d.compiler.CheckDeferred(n), nil
}

// panicked, deferred, turns a panic of the compiler into *err.
func panicked(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("compile panicked: %v", r)
	}
}

// sum adds (sign 1) or takes out (sign -1) the versions the compiled copy
// holds of objects to or from its sums.
func (d *desired) sum(objects map[compile.ObjectKey]struct{}, sign int64) {
	for k := range objects {
		if !compile.Compiles(k.Kind) {
			continue
		}
		if v, ok := d.compiler.Version(k); ok {
			addSum(d.sums, k.Kind, v, sign)
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

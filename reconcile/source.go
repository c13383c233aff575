package reconcile

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// source is the compiled copy of desired state that the loops of a fleet
// share: desired state is read and compiled once, however many clusters
// there are, and each loop learns which objects changed since its own last
// pass.
type source struct {
	// refreshing makes refreshes take turns: a first load gives up mu
	// between its parts, and no other refresh may come between them.
	refreshing sync.Mutex
	// mu guards the compiler: refresh writes it, the loops' diffs and
	// status findings read it.
	mu   sync.RWMutex
	d    *desired
	subs map[*Loop]*pendingKeys
	// loading says that a first load is under way: the compiler holds part
	// of desired state, which only the loop making the load may read.
	loading bool
	// betweenParts, when set (by tests), is called after each part of a
	// walk of the compiled copy (keys), with no lock held.
	betweenParts func()
}

// pendingKeys are the objects that changed since a loop's last refresh.
type pendingKeys struct {
	keys map[compile.ObjectKey]struct{}
	// sweep is what the loop's next pass compares beyond keys:
	// sweepFound once everything was read again, sweepAll once keys were
	// dropped at maxPending (a sweep of only what a resync found
	// different would miss them).
	sweep sweep
}

// sweep says what a pass compares beyond the objects a refresh reports.
// Each covers those before it: the larger of two is what both call for.
type sweep int

const (
	// sweepNone: nothing more.
	sweepNone sweep = iota
	// sweepFound: everything was read again; the objects a resync of the
	// loop's own found different, or every object when it has no such
	// list.
	sweepFound
	// sweepAll: every object, because objects that changed were dropped.
	sweepAll
)

func newSource(st Store) *source {
	return &source{d: &desired{store: st}, subs: map[*Loop]*pendingKeys{}}
}

// subscribe makes the source keep what changed for l. Its first refresh
// reports everything.
func (s *source) subscribe(l *Loop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[l] = &pendingKeys{keys: map[compile.ObjectKey]struct{}{}, sweep: sweepAll}
}

func (s *source) unsubscribe(l *Loop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, l)
}

// refresh brings the compiled copy up to the store's current version and
// returns the objects that changed since l's last refresh, what l's pass
// sweeps beyond them (something when everything was read again
// meanwhile), and the version compiled.
//
// When there is no compiled copy yet, refresh loads desired state part by
// part and hands the objects each part touched to chunk (when not nil) as
// soon as it is compiled, so that l writes them while the rest is read;
// it then returns no keys and sweepAll.
func (s *source) refresh(ctx context.Context, l *Loop, chunk func([]compile.ObjectKey) error) (keys []compile.ObjectKey, full sweep, version int64, err error) {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	if s.d.compiler == nil {
		return s.load(ctx, l, chunk)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	touched, reread, err := s.d.refresh(ctx)
	if err != nil {
		return nil, sweepNone, 0, err
	}
	found := sweepNone
	if reread {
		found = sweepFound
	}
	for _, p := range s.subs {
		p.add(touched)
		p.sweep = max(p.sweep, found)
	}
	p, ok := s.subs[l]
	if !ok {
		return touched, found, s.d.version, nil
	}
	keys = make([]compile.ObjectKey, 0, len(p.keys))
	for k := range p.keys {
		keys = append(keys, k)
	}
	full = p.sweep
	p.keys, p.sweep = map[compile.ObjectKey]struct{}{}, sweepNone
	return keys, full, s.d.version, nil
}

// load compiles desired state part by part, handing each part's objects to
// chunk when it is not nil. The compiled copy is readable between parts
// only through readLoading.
func (s *source) load(ctx context.Context, l *Loop, chunk func([]compile.ObjectKey) error) ([]compile.ObjectKey, sweep, int64, error) {
	s.mu.Lock()
	s.d.start()
	s.loading = true
	s.mu.Unlock()
	version, err := s.d.loadEach(ctx, func(changes []store.Change) error {
		s.mu.Lock()
		keys, err := s.d.compile(changes)
		s.mu.Unlock()
		if err != nil || chunk == nil {
			return err
		}
		return chunk(keys)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loading = false
	if err != nil {
		// What was compiled is part of desired state: start over.
		s.d.compiler = nil
		return nil, sweepAll, 0, err
	}
	s.d.version, s.d.reload = version, false
	for _, p := range s.subs {
		p.keys, p.sweep = map[compile.ObjectKey]struct{}{}, sweepAll
	}
	if p, ok := s.subs[l]; ok {
		p.sweep = sweepNone // l compares everything in this pass
	}
	return nil, sweepAll, version, nil
}

// loadingRoutes is how many routes the store held as the last first load
// began.
func (s *source) loadingRoutes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.routes
}

// owe hands the objects of l's failed pass to its next one.
func (s *source) owe(l *Loop, keys []compile.ObjectKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.subs[l]; ok {
		p.add(keys)
	}
}

// maxPending bounds the objects kept for a loop that does not refresh (a
// standby, or one that cannot reach its databroker): past it the loop's
// next pass compares everything instead.
const maxPending = 100_000

func (p *pendingKeys) add(keys []compile.ObjectKey) {
	if p.sweep == sweepAll {
		return // every object is compared anyway
	}
	for _, k := range keys {
		p.keys[k] = struct{}{}
	}
	if len(p.keys) > maxPending {
		p.keys, p.sweep = map[compile.ObjectKey]struct{}{}, sweepAll
	}
}

// indexSlice is how many index entries a resync off the loop compares
// with the compiled copy under one hold of the read lock.
const indexSlice = 5000

// findMissing compares the store's index with the compiled copy off the
// loop, indexSlice entries under each hold of the read lock so that a
// refresh waits for one slice at most, calling giveWay after each, and
// reads again what the copy lacks. A nil idx says that the store's sums,
// read at version, agreed with the copy's (see desired.agrees): nothing is
// missing that the changes after the copy's version do not bring. It lists the
// objects a sweep compares too: those the copy holds, then the records of
// other kinds than routes that only the view holds (Loop.unsettledSweep
// finds those of routes); the objects the copy holds are listed into buf's
// array when it is large enough.
func (s *source) findMissing(ctx context.Context, idx *store.Index, version int64, view *View, giveWay func(), buf []compile.ObjectKey) (*resyncFound, error) {
	var x *indexComparison
	if idx != nil {
		x = newIndexComparison(idx)
		for start := 0; start < len(idx.Entries); start += indexSlice {
			if err := ctx.Err(); err != nil {
				return nil, err // the lead ended
			}
			entries := idx.Entries[start:min(start+indexSlice, len(idx.Entries))]
			if err := s.read(func(c *compile.Compiler) { x.entries(c, entries) }); err != nil {
				return nil, err
			}
			giveWay()
		}
	}
	held, exact, err := s.keys(ctx, buf)
	if err != nil {
		return nil, err
	}
	found := &resyncFound{version: version}
	if x != nil {
		x.held(held)
		var err error
		if found, err = x.read(ctx, s.d); err != nil {
			return nil, err
		}
	}
	// Routes only the view holds are looked for once the sweep's routes
	// were compared (Loop.unsettledSweep): at a million routes, reading the
	// view's every id and looking each up in the compiled copy took a
	// fifth of a resync that found nothing.
	only, err := s.lacks(view.keysOf(func(rt recordType) bool { return rt.Kind != store.KindRoute }))
	if err != nil {
		return nil, err
	}
	found.sweep, found.viewOnly, found.sweepExact = held, only, exact
	return found, nil
}

// heldKeys keeps the list of what the compiled copy holds (a
// *[]compile.ObjectKey) from one resync to the next, as long as the
// collector lets it: at a million routes the list is 32 MB, which resyncs
// made again each time.
var heldKeys sync.Pool

// reuseHeld returns a list kept by keepHeld, emptied; nil if none is.
func reuseHeld() []compile.ObjectKey {
	if p, ok := heldKeys.Get().(*[]compile.ObjectKey); ok {
		return *p
	}
	return nil
}

// keepHeld keeps held, a resync's list of what the compiled copy held that
// nothing reads any more, for the next resync.
func keepHeld(held []compile.ObjectKey) {
	held = emptied(held)
	heldKeys.Put(&held)
}

// emptied clears list, so that it keeps no id of a route gone alive, and
// returns it empty.
func emptied(list []compile.ObjectKey) []compile.ObjectKey {
	clear(list)
	return list[:0]
}

// errReplaced is the error of a walk of the compiled copy that was
// dropped or replaced before the walk ended (a failed refresh drops it,
// and a reload replaces it).
var errReplaced = errors.New("the compiled copy was dropped or reloaded during the resync")

// keys returns the objects the compiled copy holds, walking it indexSlice
// objects under each hold of the read lock: one walk of a million routes
// under one hold took a tenth of a second, which an edit waited for.
//
// exact says no route was removed during the walk, so that each route it
// held is listed once; otherwise one removed and added again may be listed
// twice (a pass compares it anyway, as it does every change). An object
// added or removed during the walk may be listed or not, as ranging over a
// map goes. A copy dropped or replaced during the walk fails it.
func (s *source) keys(ctx context.Context, buf []compile.ObjectKey) (keys []compile.ObjectKey, exact bool, err error) {
	var c *compile.Compiler
	var size int
	var first, last uint64
	if err := s.read(func(cur *compile.Compiler) { c, size, first = cur, cur.Len(), cur.RoutesRemoved() }); err != nil {
		return nil, false, err
	}
	keys, err = collectInParts(c.All(), indexSlice, slices.Grow(buf[:0], size), func(part func()) error {
		if err := ctx.Err(); err != nil {
			return err // the lead ended
		}
		replaced := false
		err := s.read(func(cur *compile.Compiler) {
			if replaced = cur != c; !replaced {
				part()
				last = cur.RoutesRemoved()
			}
		})
		if replaced || errors.Is(err, errNotCompiled) {
			return errReplaced
		}
		if err != nil {
			return err
		}
		if s.betweenParts != nil {
			s.betweenParts()
		}
		return nil
	})
	return keys, err == nil && last == first, err
}

// collectInParts appends what seq yields to out, n under each call of
// hold, which runs what it is given under a lock that guards what seq
// walks (or fails, and so ends the walk). Between two parts whoever waits
// for the lock gets it, and may change what seq walks: seq must be a walk
// that allows that, as ranging over a map does.
func collectInParts[T any](seq iter.Seq[T], n int, out []T, hold func(part func()) error) ([]T, error) {
	if err := eachInParts(seq, n, hold, func(part []T) error {
		out = append(out, part...)
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// eachInParts walks seq as collectInParts does, and hands each part (at
// most n values; the last may have none) to each, without the lock: what
// each is given is reused for the next part.
func eachInParts[T any](seq iter.Seq[T], n int, hold func(part func()) error, each func([]T) error) error {
	next, stop := iter.Pull(seq)
	// A walk that ended yields nothing more; one cut short returns from
	// its yield without touching what it walked, so stop needs no lock.
	defer stop()
	part := make([]T, 0, n)
	for done := false; !done; {
		part = part[:0]
		if err := hold(func() {
			for range n {
				v, ok := next()
				if !ok {
					done = true
					return
				}
				part = append(part, v)
			}
		}); err != nil {
			return err
		}
		if err := each(part); err != nil {
			return err
		}
	}
	return nil
}

// lacks returns the objects of keys that the compiled copy does not hold,
// reading it indexSlice keys under each hold of the read lock.
func (s *source) lacks(keys []compile.ObjectKey) ([]compile.ObjectKey, error) {
	var out []compile.ObjectKey
	for start := 0; start < len(keys); start += indexSlice {
		part := keys[start:min(start+indexSlice, len(keys))]
		if err := s.read(func(c *compile.Compiler) { out = append(out, c.Lacks(part)...) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// version returns the store version the compiled copy is at.
func (s *source) version() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.d.version
}

// agrees reports whether the store's sums are the compiled copy's.
func (s *source) agrees(sums *store.IndexSums) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return !s.loading && s.d.agrees(sums)
}

// offer hands the next refresh what a resync found.
func (s *source) offer(f *resyncFound) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.found = f
}

// invalidate makes the next refresh compare every object with the store.
func (s *source) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.invalidate()
}

// checkDeferred checks every route of the compiled copy left to check
// (see deferChecksAbove) and returns them for l; every other loop finds
// them changed.
func (s *source) checkDeferred(l *Loop) ([]compile.ObjectKey, error) {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d.compiler == nil || s.d.compiler.Deferred() == 0 {
		return nil, nil
	}
	keys, err := s.d.checkDeferred(-1)
	if err != nil {
		// What the compiler holds is unknown after a panic: start over.
		s.d.compiler = nil
		return nil, err
	}
	for other, p := range s.subs {
		if other != l {
			p.add(keys)
		}
	}
	return keys, nil
}

// unchecked is how many routes of the compiled copy wait to be checked
// again, and how many objects another loop's refresh found changed since
// l's or kept from l's failed pass (one more when everything is to be
// compared again): until both are none, l is not done. Another loop's
// refresh that checks routes left changes no store version, and so wakes
// no loop.
func (s *source) unchecked(l *Loop) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	if s.d.compiler != nil {
		n = s.d.compiler.Deferred()
	}
	if p, ok := s.subs[l]; ok {
		n += len(p.keys)
		if p.sweep != sweepNone {
			n++ // the objects dropped at maxPending, or everything read again
		}
	}
	return n
}

// errNotCompiled is read's error when there is no compiled copy: a
// refresh failed (a compiler panic drops the copy) since the caller's own.
var errNotCompiled = errors.New("desired state is not compiled: the last refresh failed")

// read calls fn with the compiled copy, which fn must not change or keep.
// Without one it fails rather than hand out an empty copy, whose absence of
// every object a diff would take for deletions.
func (s *source) read(fn func(*compile.Compiler)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.d.compiler == nil || s.loading {
		return errNotCompiled
	}
	fn(s.d.compiler)
	return nil
}

// readLoading is read for the loop making a first load, between its parts:
// the compiler holds what was loaded so far, every object of which is
// complete. It reports false, without calling fn, once a failed load has
// dropped what it compiled.
func (s *source) readLoading(fn func(*compile.Compiler)) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.d.compiler == nil {
		return false
	}
	fn(s.d.compiler)
	return true
}

// clusterTarget is the part of the compiled state that belongs in one
// cluster's databroker.
type clusterTarget struct {
	c       *compile.Compiler
	cluster string
	// placed reports whether a cluster's databroker holds an object's
	// record at a version of the object; nil when the loop is alone
	// (there is no other cluster).
	placed func(cluster string, key compile.ObjectKey, version int64) bool
	// kept are the records kept here because the cluster they moved to
	// does not hold them yet.
	kept []compile.ObjectKey
}

func (t *clusterTarget) Changed(k compile.ObjectKey, held *compile.Digest) (*pb.Record, bool) {
	if !t.c.Belongs(k, t.cluster) {
		return nil, false
	}
	return t.c.Changed(k, held)
}

// Status is the compiled status of an object of the cluster. An object of
// another cluster has none here, so that its record goes, except a route
// that moves: its record here stays until the cluster it moved to holds
// it, so that Pomerium never goes without it. (A policy or key pair that
// no longer belongs here was another cluster's all along, or moved with
// no route of this cluster left using it: it goes at once.)
func (t *clusterTarget) Status(k compile.ObjectKey) (compile.Status, bool) {
	if t.c.Belongs(k, t.cluster) {
		return t.c.Status(k)
	}
	if k.Kind != store.KindRoute || t.placed == nil || !t.c.HasRecord(k) {
		return compile.Status{}, false
	}
	owner := t.c.Owner(k)
	if version, _ := t.c.Version(k); t.placed(owner, k, version) {
		return compile.Status{}, false
	}
	t.kept = append(t.kept, k)
	return compile.Status{Reason: "moving to cluster " + owner}, true
}

// deferredKeys are the objects a loop looks at again on its next pass.
type deferredKeys struct {
	mu   sync.Mutex
	keys []compile.ObjectKey
}

func (d *deferredKeys) add(keys []compile.ObjectKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = append(d.keys, keys...)
}

func (d *deferredKeys) take() []compile.ObjectKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.keys
	d.keys = nil
	return out
}

func (d *deferredKeys) any() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.keys) > 0
}

package reconcile

import (
	"context"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// putsInFlight is how many parts' writes a first load keeps in flight (a
// part of 2,000 routes is one Put request unless its records pass the
// databroker's message size): the databroker decodes and stores one while
// the next is on the wire and the loop compiles the part after it.
const putsInFlight = 3

// coldWrite writes the records of a first load while the rest of desired
// state is still read and compiled: each compiled part is diffed with the
// view at once, the records everything else depends on (policies, key
// pairs, settings) are written before any route, and the routes go out in
// Put requests of up to the databroker's message size, a few at a time. The
// statuses of what was written are found beside them, in large batches,
// and handed to the status queue once every record is in: written
// meanwhile, they took CPU that the databroker needs to take the records
// (on 2 cores Pomerium's uses nearly both for a bare Put), and grew the
// embedded store's write-ahead log, which the load's reading keeps from
// being emptied.
//
// Its goroutines start with the first route part; a pass that loads
// nothing starts none.
type coldWrite struct {
	ctx  context.Context
	l    *Loop
	view *View

	g        *errgroup.Group
	gctx     context.Context
	puts     chan *Plan
	statuses chan []compile.ObjectKey
	started  bool
	closed   bool // puts is closed: nothing more is handed over
}

func newColdWrite(ctx context.Context, l *Loop, view *View) *coldWrite {
	return &coldWrite{ctx: ctx, l: l, view: view}
}

// chunk writes what the objects of one compiled part need. The first part
// (everything but the routes) is written before chunk returns.
func (w *coldWrite) chunk(keys []compile.ObjectKey) error {
	var plan *Plan
	var err error
	if !w.l.src.readLoading(func(c *compile.Compiler) { plan, err = w.l.plan(c, keys, w.view) }) {
		return errNotCompiled
	}
	if err != nil {
		return err
	}
	if !w.started {
		if !hasRoute(keys) {
			return w.l.write(w.ctx, w.view, plan, nil)
		}
		w.start()
	}
	if plan.Empty() {
		return nil
	}
	if w.gctx.Err() != nil {
		return w.wait() // a write failed: reading on is in vain
	}
	select {
	case w.puts <- plan:
	case <-w.gctx.Done():
		return w.wait()
	}
	return nil
}

func hasRoute(keys []compile.ObjectKey) bool {
	for _, k := range keys {
		if k.Kind == store.KindRoute {
			return true
		}
	}
	return false
}

func (w *coldWrite) start() {
	w.started = true
	// The routes' records and statuses are what the view holds most of.
	w.view.Reserve(compile.RecordTypeRoute, w.l.src.loadingRoutes())
	w.g, w.gctx = errgroup.WithContext(w.ctx)
	w.puts = make(chan *Plan, putsInFlight)
	w.statuses = make(chan []compile.ObjectKey, 4*putsInFlight)
	var putters sync.WaitGroup
	for range putsInFlight {
		putters.Add(1)
		w.g.Go(func() error {
			defer putters.Done()
			return w.put(w.puts)
		})
	}
	go func() {
		putters.Wait()
		close(w.statuses)
	}()
	w.g.Go(func() error { w.writeStatuses(); return nil })
}

// put writes the plans handed to it, each in Put requests of up to the
// databroker's message size, until there are no more, or the first error of
// any.
func (w *coldWrite) put(plans <-chan *Plan) error {
	for {
		var plan *Plan
		select {
		case p, ok := <-plans:
			if !ok {
				return nil
			}
			plan = p
		case <-w.gctx.Done():
			return nil
		}
		if err := w.l.write(w.gctx, w.view, plan, nil); err != nil {
			return err
		}
		keys := make([]compile.ObjectKey, len(plan.Writes))
		for i, rec := range plan.Writes {
			rt, _ := typeByName(rec.GetType())
			keys[i] = compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}
		}
		select {
		case w.statuses <- keys:
		case <-w.gctx.Done():
			return nil
		}
	}
}

// writeStatuses finds the statuses of the records written as their Puts
// answer, statusBatch at a time, most of them while the load holds the
// compiled state still (another loop of a fleet may compile a newer
// version once it is done), and hands them all to the loop's status queue
// once every record is in, in key order. After an error nothing is handed
// over: the next pass writes every status.
//
// The queue writes a round of what it was handed first at a time, each
// round in key order. Handed over in key order, each round is a run of
// neighbouring keys, whose rows fill the store's table page after page;
// handed over as found (in the order of the routes' names), each round's
// keys were spread over the whole table, and each round wrote most of its
// pages again.
func (w *coldWrite) writeStatuses() {
	var pending []compile.ObjectKey
	// The statuses found, a part for each find, joined once at the end:
	// one list grown by appends to a million statuses allocated about
	// five times its size.
	var parts [][]store.ObjectStatus
	find := func() {
		// After a failed load nothing is known of the objects: the next
		// pass writes their statuses.
		w.l.src.readLoading(func(c *compile.Compiler) {
			part, _ := w.l.statuses.compute(make([]store.ObjectStatus, 0, len(pending)), c, pending, w.view, w.l.owns(c))
			parts = append(parts, part)
		})
		pending = pending[:0]
	}
	for keys := range w.statuses {
		if w.gctx.Err() != nil {
			continue // what is left is written by the next pass
		}
		pending = append(pending, keys...)
		if len(pending) >= statusBatch {
			find()
		}
	}
	if w.gctx.Err() == nil {
		find()
		found := slices.Concat(parts...)
		parts = nil
		slices.SortStableFunc(found, compareStatusKeys)
		w.l.queue.statusesInOrder(found)
	}
}

// compareStatusKeys orders statuses by their objects' keys, as the store
// keeps them.
func compareStatusKeys(a, b store.ObjectStatus) int {
	return compile.CompareKeys(compile.ObjectKey{Kind: a.Kind, ID: a.ID}, compile.ObjectKey{Kind: b.Kind, ID: b.ID})
}

// wait ends the writes once everything handed to them is written, and
// returns the first error of any.
func (w *coldWrite) wait() error {
	if !w.started {
		return nil
	}
	if !w.closed {
		close(w.puts)
		w.closed = true
	}
	err := w.g.Wait()
	if err == nil && w.ctx.Err() != nil {
		err = w.ctx.Err()
	}
	return err
}

package reconcile

import (
	"slices"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// sliceKeys is how many objects of bulk work a pass takes: a few
// milliseconds of comparing and writing, which is all an edit made
// meanwhile waits for. Against Pomerium's databroker at 100,000 routes, a
// change to 11,000 routes is written in 1.14 s in slices of 100 and 0.88 s
// in slices of 500, while an edit's p99 during such changes is 30 ms
// against 120 ms.
const sliceKeys = 100

// A change of policies that makes more than deferChecksAbove routes check
// again (a policy enforced on a team) checks them only in part: the
// compiled copy keeps the others' last outcome (see
// compile.Compiler.DeferChecks), and each refresh checks deferredSlice of
// them, whose objects then join the bulk queue (a first pass of a lead,
// which compares every object, checks them all first). Checking 12,100 routes in
// one go took 33 ms at 100,000 routes, which an edit made meanwhile waited
// for; 500 take about 1.5 ms.
const (
	deferChecksAbove = 1000
	deferredSlice    = 500
)

// bulkQueue holds the objects that passes compare a slice at a time: every
// object after a resync, or the objects of a change that touched many.
// Objects are taken in the order they were added, each batch ordered as
// records are written (key pairs and policies before the routes that use
// them, and the other way round for records to delete). An object queued
// twice is compared twice, which is harmless; but the objects of changes
// are queued once each, however often they change before their turn, so
// that changes coming faster than passes take them do not grow the queue
// without bound.
type bulkQueue struct {
	keys []compile.ObjectKey
	// changed holds the objects of changes in keys.
	changed map[compile.ObjectKey]struct{}
}

// add queues the objects of one change that are not queued yet.
func (q *bulkQueue) add(keys []compile.ObjectKey) {
	if q.changed == nil {
		q.changed = map[compile.ObjectKey]struct{}{}
	}
	fresh := make([]compile.ObjectKey, 0, len(keys))
	for _, k := range keys {
		if _, ok := q.changed[k]; !ok {
			q.changed[k] = struct{}{}
			fresh = append(fresh, k)
		}
	}
	q.keys = append(q.keys, inWriteOrder(fresh, false)...)
}

// sweep queues the objects of a resync: listed, those a resync off the
// loop found unsettled, or when that is nil, every object, as sweepList
// lists them from c and the view.
// (The status of an object that is gone goes with its last pass; the first
// pass of a lead clears any left.)
func (q *bulkQueue) sweep(c *compile.Compiler, listed []compile.ObjectKey, view *View) {
	if listed == nil {
		listed = sweepList(c.Keys(), c.Lacks(view.Keys()))
	}
	q.keys = append(q.keys, listed...)
}

// sweepList lists the objects a sweep compares: held, those the compiled
// copy holds (every other kind before the routes), then viewOnly, those only
// the view still holds, whose records are to go, routes first.
func sweepList(held, viewOnly []compile.ObjectKey) []compile.ObjectKey {
	return append(held, inWriteOrder(viewOnly, true)...)
}

// take removes and returns the next n objects at most.
func (q *bulkQueue) take(n int) []compile.ObjectKey {
	n = min(n, len(q.keys))
	out := slices.Clone(q.keys[:n])
	clear(q.keys[:n])
	q.keys = q.keys[n:]
	for _, k := range out {
		delete(q.changed, k)
	}
	if len(q.keys) == 0 {
		q.reset() // let go of the backing array
	}
	return out
}

func (q *bulkQueue) len() int { return len(q.keys) }

func (q *bulkQueue) reset() { q.keys, q.changed = nil, nil }

// inWriteOrder groups keys by record type in write order (kinds without
// records last), or the reverse, keeping their order within a type.
func inWriteOrder(keys []compile.ObjectKey, reverse bool) []compile.ObjectKey {
	groups := make([][]compile.ObjectKey, len(recordTypes)+1)
	for _, k := range keys {
		i := kindIndex(k.Kind)
		if reverse && i < len(recordTypes) {
			i = len(recordTypes) - 1 - i
		}
		groups[i] = append(groups[i], k)
	}
	return slices.Concat(groups...)
}

func kindIndex(k store.Kind) int {
	if i := slices.IndexFunc(recordTypes, func(rt recordType) bool { return rt.Kind == k }); i >= 0 {
		return i
	}
	return len(recordTypes)
}

// canSlice reports whether the objects of one change may be compared over
// several passes: not when it takes away from the cluster's databroker a
// record other records may use (a key pair, a policy, settings: the view
// holds it, and the compiled copy has no record of it or places it in
// another cluster), which must go only after the routes that used it, and
// slices are written in the other order.
func canSlice(c *compile.Compiler, keys []compile.ObjectKey, view *View, cluster string) bool {
	for _, k := range keys {
		if k.Kind == store.KindRoute {
			continue
		}
		rt, ok := typeOfKind(k.Kind)
		if !ok {
			continue
		}
		if _, held := view.Get(rt.Type, k.ID); held && (!c.HasRecord(k) || !c.Belongs(k, cluster)) {
			return false
		}
	}
	return true
}

package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// statusQueue writes statuses and the loop's health record off the loop:
// a pass hands them over and goes on to the next, so that an edit never
// waits behind the store writing a bulk change's thousands of statuses
// (on SQLite, behind a checkpoint of its log too).
//
// Order is kept where readers rely on it: a health record is written only
// after every status handed over before it. So a health record saying
// "synced at version V" still means that the statuses of V are stored.
// A status handed over again before it was written is written once, as
// it was last handed over, in the place of the first.
//
// Statuses go a round at a time: a round is the statuses handed over
// first when it starts (up to a pending health record, and at most
// roundBatches batches), written in the order of their keys, a batch at a
// time, so that the rows of a batch are neighbours in the store's table.
// Of a change of thousands of statuses handed over at once, each batch
// then writes a few pages of the table, not one per status (in the order
// handed over, each of 25 batches of a change of 12,100 statuses of
// 100,000 wrote about a page a status). A loop hands a bulk change's
// statuses over a slice at a time; its slices are runs of neighbouring
// keys themselves (see compile.Compiler.CheckDeferred). A status of the
// round handed over again before its batch is written once, as last
// handed over; one handed over after its batch, or new, waits for the
// next round.
//
// A first load hands its statuses over in key order, each object once,
// to a queue that holds nothing (statusesInOrder): they wait in the list
// handed over, and are written as they stand in it, a batch at a time,
// before anything handed over after them.
type statusQueue struct {
	store store.StatusSink
	// batch bounds the statuses of one store transaction: on SQLite a
	// transaction holds the write lock, and an edit's own write waits.
	batch int
	// wrote is told each health record once it is stored.
	wrote func(store.Health)

	mu sync.Mutex
	// pending holds the latest status of each object not written yet, and
	// the sequence number the first of them not written was handed over
	// at; order lists them in that order.
	pending map[compile.ObjectKey]queuedStatus
	order   []queuedKey
	seq     uint64
	// round holds the keys of the round under way not written yet, in
	// key order; their statuses wait in pending, and each was handed over
	// before any pending health record.
	round []compile.ObjectKey
	// bulk holds the statuses of a handover in key order to an empty
	// queue (statusesInOrder: a first load's, a status for each object),
	// in the list handed over; those from bulkNext on are not written
	// yet, and the one at i was handed over at bulkSeq+i. A status handed
	// over again while its object's waits there takes its place. A
	// million statuses in pending were about half a gigabyte allocated.
	bulk     []store.ObjectStatus
	bulkNext int
	bulkSeq  uint64
	// health is the latest health record not written yet, to be written
	// once every status up to healthSeq is.
	health    *store.Health
	healthSeq uint64
	// err is the last write's error, until a write succeeds.
	err  error
	kick chan struct{}
}

type queuedStatus struct {
	status store.ObjectStatus
	seq    uint64
}

type queuedKey struct {
	key compile.ObjectKey
	seq uint64
}

func newStatusQueue(s store.StatusSink, wrote func(store.Health)) *statusQueue {
	return &statusQueue{store: s, batch: statusWriteBatch, wrote: wrote, kick: make(chan struct{}, 1)}
}

// reset forgets whatever is not written: a new lead reads the statuses
// stored, and writes its own health.
func (q *statusQueue) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending, q.order, q.round, q.health, q.err = nil, nil, nil, nil, nil
	q.bulk, q.bulkNext = nil, 0
}

// statuses hands statuses over to be written.
func (q *statusQueue) statuses(ss []store.ObjectStatus) {
	if len(ss) == 0 {
		return
	}
	q.mu.Lock()
	if q.pending == nil {
		q.pending = make(map[compile.ObjectKey]queuedStatus, len(ss))
	}
	for _, s := range ss {
		if i, ok := q.inBulk(s); ok {
			q.bulk[i] = s
			continue
		}
		k := compile.ObjectKey{Kind: s.Kind, ID: s.ID}
		if p, ok := q.pending[k]; ok {
			// Written in the place of the one it replaces: a health
			// record handed over between the two waits for it.
			q.pending[k] = queuedStatus{s, p.seq}
			continue
		}
		q.seq++
		q.pending[k] = queuedStatus{s, q.seq}
		q.order = append(q.order, queuedKey{k, q.seq})
	}
	q.mu.Unlock()
	signal(q.kick)
}

// statusesInOrder hands statuses over as statuses does, in a list the
// queue keeps until they are written: given in key order
// (compareStatusKeys), each object once, to an empty queue, they wait in
// that list instead of in pending.
func (q *statusQueue) statusesInOrder(ss []store.ObjectStatus) {
	inOrder := true
	for i := 1; i < len(ss) && inOrder; i++ {
		inOrder = compareStatusKeys(ss[i-1], ss[i]) < 0
	}
	q.mu.Lock()
	empty := len(q.bulk) == 0 && len(q.pending) == 0 && len(q.order) == 0 && len(q.round) == 0
	if !empty || !inOrder || len(ss) == 0 {
		q.mu.Unlock()
		q.statuses(ss)
		return
	}
	q.bulk, q.bulkNext, q.bulkSeq = ss, 0, q.seq+1
	q.seq += uint64(len(ss))
	q.mu.Unlock()
	signal(q.kick)
}

// inBulk finds the status of s's object in bulk, not written yet.
func (q *statusQueue) inBulk(s store.ObjectStatus) (int, bool) {
	if q.bulkNext >= len(q.bulk) {
		return 0, false
	}
	i, ok := slices.BinarySearchFunc(q.bulk[q.bulkNext:], s, compareStatusKeys)
	return q.bulkNext + i, ok
}

// takeBulk returns the next statuses of bulk to write, at most batch of
// them and none handed over after the pending health record; nothing
// when there are none.
func (q *statusQueue) takeBulk() []store.ObjectStatus {
	end := min(len(q.bulk), q.bulkNext+q.batch)
	if q.health != nil {
		// Only those handed over before it, at healthSeq at the latest.
		before := int64(q.healthSeq) - int64(q.bulkSeq) + 1
		end = int(min(int64(end), max(before, 0)))
	}
	if end <= q.bulkNext {
		return nil
	}
	out := q.bulk[q.bulkNext:end:end] // never changed once taken
	if q.bulkNext = end; end == len(q.bulk) {
		q.bulk, q.bulkNext = nil, 0
	}
	return out
}

// setHealth hands a health record over, to be written after every status
// handed over before it.
func (q *statusQueue) setHealth(h store.Health) {
	q.mu.Lock()
	q.health, q.healthSeq = &h, q.seq
	q.mu.Unlock()
	signal(q.kick)
}

// failure is the error of the last write, until one succeeds.
func (q *statusQueue) failure() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// take returns the next statuses to write, at most batch of them of the
// round under way (a new one when it is done), or when every status the
// pending health record waits for is written, the record; nothing when
// all is written.
func (q *statusQueue) take() ([]store.ObjectStatus, *store.Health) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.round) == 0 {
		// The bulk's statuses were handed over before any in pending.
		if out := q.takeBulk(); out != nil {
			return out, nil
		}
		q.round = q.nextRound()
	}
	if len(q.round) == 0 {
		h := q.health
		q.health = nil
		return nil, h
	}
	n := min(q.batch, len(q.round))
	out := make([]store.ObjectStatus, 0, n)
	for _, k := range q.round[:n] {
		// Every key of the round waits in pending (reset forgets
		// both); a status missing would read as one to remove.
		if p, ok := q.pending[k]; ok {
			out = append(out, p.status)
			delete(q.pending, k)
		}
	}
	if q.round = q.round[n:]; len(q.round) == 0 {
		q.round = nil // let go of the backing array
		if len(q.order) == 0 {
			q.order, q.pending = nil, nil // and of these
		}
	}
	return out, nil
}

// roundBatches bounds a round of the status queue, in batches: a million
// statuses handed over at once are not all sorted at once.
const roundBatches = 100

// nextRound takes the keys of the statuses handed over first out of the
// order they were handed over in, and returns them in key order: those
// before the pending health record (all, when none is pending), at most
// roundBatches batches of them.
func (q *statusQueue) nextRound() []compile.ObjectKey {
	n := min(len(q.order), roundBatches*q.batch)
	if q.health != nil {
		// The health record goes first: of the order (by sequence),
		// those handed over before it.
		n, _ = slices.BinarySearchFunc(q.order[:n], q.healthSeq+1, func(k queuedKey, seq uint64) int { return cmp.Compare(k.seq, seq) })
	}
	round := make([]compile.ObjectKey, n)
	for i, k := range q.order[:n] {
		round[i] = k.key
	}
	q.order = q.order[n:]
	if len(q.order) == 0 {
		q.order = nil // let go of the backing array
	}
	slices.SortFunc(round, compile.CompareKeys)
	return round
}

// run writes what is handed over until ctx ends. A failed write is tried
// again after retry, and reported by failure until it succeeds.
func (q *statusQueue) run(ctx context.Context, retry time.Duration) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-q.kick:
		}
		for {
			ss, h := q.take()
			if ss == nil && h == nil {
				break
			}
			for {
				err := q.write(ctx, ss, h)
				q.mu.Lock()
				q.err = err
				q.mu.Unlock()
				if err == nil {
					break
				}
				if wait(ctx, retry); ctx.Err() != nil {
					return nil
				}
			}
			if h != nil && q.wrote != nil {
				q.wrote(*h)
			}
		}
	}
}

func (q *statusQueue) write(ctx context.Context, ss []store.ObjectStatus, h *store.Health) error {
	if h != nil {
		if err := q.store.SetHealth(ctx, *h); err != nil {
			return fmt.Errorf("record reconciler health: %w", err)
		}
		return nil
	}
	if err := q.store.SetStatus(ctx, ss); err != nil {
		return fmt.Errorf("write statuses: %w", err)
	}
	return nil
}

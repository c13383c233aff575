package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// lagWatch follows the databroker's route records and times each write
// of the run from its call, and from its answer, until its record arrives.
type lagWatch struct {
	mu      sync.Mutex
	pending map[string]*write // by route id: the last write of each route
	// fromCall and fromAck are the writes' times until their record
	// arrived, from the start of the call and from its answer.
	fromCall, fromAck []time.Duration
	superseded        int // writes of a route written again before theirs arrived
	failed            int // writes refused: nobody waits for them
	changed           chan struct{}
}

// write is one write the run waits to see in the databroker.
type write struct {
	id, to     string
	start, ack time.Time
	seen       time.Time // when its record arrived, if before the answer
}

func newLagWatch() *lagWatch {
	return &lagWatch{pending: map[string]*write{}, changed: make(chan struct{}, 1)}
}

// follow reads route records from the databroker until ctx ends, from the
// version it has now: what the run writes comes after.
func (l *lagWatch) follow(ctx context.Context, c *databroker.Client) (func() error, error) {
	vs, err := c.SyncLatest(ctx, compile.RecordTypeRoute, func(*pb.Record) {})
	if err != nil {
		return nil, fmt.Errorf("read the databroker's route records: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- c.Sync(ctx, compile.RecordTypeRoute, vs, databroker.SyncHandler{Record: l.record})
	}()
	return func() error {
		if err := <-done; err != nil && ctx.Err() == nil {
			return fmt.Errorf("the databroker's Sync stream: %w", err)
		}
		return nil
	}, nil
}

// expect notes a write before its call.
func (l *lagWatch) expect(id, to string) *write {
	w := &write{id: id, to: to, start: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[id]; ok {
		l.superseded++
	}
	l.pending[id] = w
	return w
}

// acked notes the answer to w's call: a refused write, or one cut short
// by the end of the run (ctx ended), is not waited for.
func (l *lagWatch) acked(ctx context.Context, w *write, err error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w.ack = now
	if err != nil {
		if ctx.Err() == nil {
			l.failed++
		}
		if l.pending[w.id] == w {
			delete(l.pending, w.id)
		}
		return
	}
	if !w.seen.IsZero() { // the record was faster than the answer
		l.done(w, w.seen)
	}
}

// record takes one record of the Sync stream.
func (l *lagWatch) record(rec *pb.Record) error {
	now := time.Now()
	var r configpb.Route
	if rec.GetData() == nil || rec.GetData().UnmarshalTo(&r) != nil {
		return nil // deleted, or not a route record this run wrote
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.pending[rec.GetId()]
	if w == nil || !slices.Equal(r.To, []string{w.to}) {
		return nil
	}
	if w.ack.IsZero() {
		w.seen = now
		return nil
	}
	l.done(w, now)
	return nil
}

// done records w's times; l.mu is held.
func (l *lagWatch) done(w *write, seen time.Time) {
	delete(l.pending, w.id)
	l.fromCall = append(l.fromCall, seen.Sub(w.start))
	l.fromAck = append(l.fromAck, max(0, seen.Sub(w.ack)))
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// drain waits until every acknowledged write has arrived, or within has
// passed, and returns how many did not.
func (l *lagWatch) drain(within time.Duration) int {
	deadline := time.After(within)
	for {
		l.mu.Lock()
		left := 0
		for _, w := range l.pending {
			if !w.ack.IsZero() {
				left++
			}
		}
		l.mu.Unlock()
		if left == 0 {
			return 0
		}
		select {
		case <-l.changed:
		case <-deadline:
			return left
		}
	}
}

// summary prints the lag's percentiles.
func (l *lagWatch) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.fromCall)
	slices.Sort(l.fromAck)
	if len(l.fromCall) == 0 {
		return "reconcile lag: no write arrived"
	}
	return fmt.Sprintf("reconcile lag of %d writes: from the call p50 %s p99 %s max %s; from the answer p50 %s p99 %s max %s; %d written again before they arrived, %d refused",
		len(l.fromCall), ms(percentile(l.fromCall, 50)), ms(percentile(l.fromCall, 99)), ms(l.fromCall[len(l.fromCall)-1]),
		ms(percentile(l.fromAck, 50)), ms(percentile(l.fromAck, 99)), ms(l.fromAck[len(l.fromAck)-1]), l.superseded, l.failed)
}

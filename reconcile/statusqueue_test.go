package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// sinkCall is one write the status queue made: statuses, or a health
// record.
type sinkCall struct {
	statuses []string // kind/id=state
	health   int64    // the synced version of a health record; -1 for statuses
}

// recordingSink records the queue's writes in order. Before answering
// each it asks gate, when set, which may block or return an error.
type recordingSink struct {
	store.StatusSink
	mu    sync.Mutex
	calls []sinkCall
	gate  func(n int) error // n counts calls from 0
	n     int
}

func (s *recordingSink) answer(c sinkCall) error {
	s.mu.Lock()
	n := s.n
	s.n++
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		if err := gate(n); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	return nil
}

func (s *recordingSink) SetStatus(_ context.Context, ss []store.ObjectStatus) error {
	c := sinkCall{health: -1}
	for _, st := range ss {
		c.statuses = append(c.statuses, fmt.Sprintf("%s/%s=%s", st.Kind, st.ID, st.State))
	}
	return s.answer(c)
}

func (s *recordingSink) SetHealth(_ context.Context, h store.Health) error {
	return s.answer(sinkCall{health: h.SyncedVersion})
}

func (s *recordingSink) written() []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func statusOf(id string, state store.SyncState) store.ObjectStatus {
	return store.ObjectStatus{Kind: store.KindRoute, ID: id, State: state}
}

func success(version int64) store.Health {
	now := time.Now()
	return store.Health{SyncedVersion: version, LastSuccess: now, UpdatedAt: now}
}

// runQueue runs q until the test ends, and returns the health records it
// reports written.
func runQueue(t *testing.T, q *statusQueue) <-chan store.Health {
	t.Helper()
	wrote := make(chan store.Health, 16)
	q.wrote = func(h store.Health) { wrote <- h }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = q.run(ctx, time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return wrote
}

func TestStatusQueueWritesHealthAfterTheStatusesBeforeIt(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.batch = 2
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncPending), statusOf("b", store.SyncPending), statusOf("c", store.SyncSynced)})
	q.setHealth(success(7))
	q.statuses([]store.ObjectStatus{statusOf("d", store.SyncSynced)})
	wrote := runQueue(t, q)
	wantHealth(t, wrote, 7)
	q.setHealth(success(8))
	wantHealth(t, wrote, 8)
	want := []sinkCall{
		{statuses: []string{"route/a=pending", "route/b=pending"}, health: -1},
		{statuses: []string{"route/c=synced"}, health: -1},
		{health: 7},
		{statuses: []string{"route/d=synced"}, health: -1},
		{health: 8},
	}
	wantWrites(t, sink, want)
}

func TestStatusQueueWritesAnObjectOnceAsLastHandedOver(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncPending), statusOf("b", store.SyncPending)})
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncSynced)})
	q.setHealth(success(3))
	wrote := runQueue(t, q)
	<-wrote
	want := []sinkCall{
		{statuses: []string{"route/a=synced", "route/b=pending"}, health: -1},
		{health: 3},
	}
	wantWrites(t, sink, want)
}

// An object handed over before a health record and again after it is
// written before the record, as last handed over: the record's version
// never goes out without that object's status.
func TestStatusQueueHealthWaitsForAnObjectHandedOverAgain(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncPending), statusOf("b", store.SyncPending)})
	q.setHealth(success(4))
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("c", store.SyncSynced)})
	wrote := runQueue(t, q)
	wantHealth(t, wrote, 4)
	q.setHealth(success(5))
	<-wrote
	want := []sinkCall{
		{statuses: []string{"route/a=synced", "route/b=pending"}, health: -1},
		{health: 4},
		{statuses: []string{"route/c=synced"}, health: -1},
		{health: 5},
	}
	wantWrites(t, sink, want)
}

// A write the store refuses is reported by failure until a write succeeds,
// and is made again: nothing handed over is lost, and the health record
// still comes after the statuses.
func TestStatusQueueRetriesAFailedWrite(t *testing.T) {
	refused := errors.New("the store is down")
	retried := make(chan struct{})
	release := make(chan struct{})
	sink := &recordingSink{gate: func(n int) error {
		switch n {
		case 0:
			return refused
		case 1:
			close(retried)
			<-release
		}
		return nil
	}}
	q := newStatusQueue(sink, nil)
	if err := q.failure(); err != nil {
		t.Fatalf("failure before any write: %v", err)
	}
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncSynced)})
	q.setHealth(success(5))
	wrote := runQueue(t, q)
	<-retried
	if err := q.failure(); !errors.Is(err, refused) {
		t.Errorf("failure while the store refuses: %v, want %v", err, refused)
	}
	close(release)
	wantHealth(t, wrote, 5)
	if err := q.failure(); err != nil {
		t.Errorf("failure after the writes succeeded: %v", err)
	}
	want := []sinkCall{{statuses: []string{"route/a=synced"}, health: -1}, {health: 5}}
	wantWrites(t, sink, want)
}

// A new lead forgets what the last one did not write: it reads the
// statuses stored instead.
func TestStatusQueueResetForgetsWhatIsNotWritten(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncSynced)})
	q.setHealth(success(1))
	q.reset()
	q.setHealth(success(2))
	wrote := runQueue(t, q)
	wantHealth(t, wrote, 2)
	if got, want := fmt.Sprint(sink.written()), fmt.Sprint([]sinkCall{{health: 2}}); got != want {
		t.Errorf("writes: got %s, want %s", got, want)
	}
}

// wantHealth waits for the next health record written and checks its
// synced version.
func wantHealth(t *testing.T, wrote <-chan store.Health, version int64) {
	t.Helper()
	if h := <-wrote; h.SyncedVersion != version {
		t.Fatalf("health written: synced %d, want %d", h.SyncedVersion, version)
	}
}

// wantWrites checks the writes the sink recorded.
func wantWrites(t *testing.T, sink *recordingSink, want []sinkCall) {
	t.Helper()
	if got := sink.written(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("writes:\n got %v\nwant %v", got, want)
	}
}

// holdingFirstWrite returns a sink whose first write waits, once writing
// is closed, until release is.
func holdingFirstWrite() (sink *recordingSink, writing, release chan struct{}) {
	writing, release = make(chan struct{}), make(chan struct{})
	sink = &recordingSink{gate: func(n int) error {
		if n == 0 {
			close(writing)
			<-release
		}
		return nil
	}}
	return sink, writing, release
}

// The statuses handed over when a round starts are written in key order,
// a batch at a time; those handed over during the round wait for the next.
func TestStatusQueueWritesARoundInKeyOrder(t *testing.T) {
	sink, writing, release := holdingFirstWrite()
	q := newStatusQueue(sink, nil)
	q.batch = 2
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncSynced), statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)})
	wrote := runQueue(t, q)
	<-writing
	q.statuses([]store.ObjectStatus{statusOf("d", store.SyncSynced), statusOf("0", store.SyncSynced)})
	q.setHealth(success(9))
	close(release)
	wantHealth(t, wrote, 9)
	want := []sinkCall{
		{statuses: []string{"route/a=synced", "route/b=synced"}, health: -1},
		{statuses: []string{"route/c=synced"}, health: -1},
		{statuses: []string{"route/0=synced", "route/d=synced"}, health: -1},
		{health: 9},
	}
	wantWrites(t, sink, want)
}

// A round takes at most roundBatches batches, the statuses handed over
// first.
func TestStatusQueueBoundsARound(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.batch = 1
	var ss []store.ObjectStatus
	for i := roundBatches; i >= 0; i-- {
		ss = append(ss, statusOf(fmt.Sprintf("r%03d", i), store.SyncSynced))
	}
	q.statuses(ss)
	q.setHealth(success(1))
	<-runQueue(t, q)
	var want []sinkCall
	for i := 1; i <= roundBatches; i++ {
		want = append(want, sinkCall{statuses: []string{fmt.Sprintf("route/r%03d=synced", i)}, health: -1})
	}
	want = append(want, sinkCall{statuses: []string{"route/r000=synced"}, health: -1}, sinkCall{health: 1})
	wantWrites(t, sink, want)
}

// roundUnderWay runs a queue of a batch a write with a round of two
// statuses, a and b, synced, whose first write waits for release.
func roundUnderWay(t *testing.T) (sink *recordingSink, q *statusQueue, wrote <-chan store.Health, release chan struct{}) {
	sink, writing, release := holdingFirstWrite()
	q = newStatusQueue(sink, nil)
	q.batch = 1
	q.statuses([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)})
	wrote = runQueue(t, q)
	<-writing
	return sink, q, wrote, release
}

// A status of the round under way handed over again before its batch is
// written once, as last handed over; one handed over again after its
// batch is written again in the next round.
func TestStatusQueueWritesARoundsStatusOnceAsLastHandedOver(t *testing.T) {
	sink, q, wrote, release := roundUnderWay(t)
	q.statuses([]store.ObjectStatus{statusOf("b", store.SyncError), statusOf("a", store.SyncError)})
	q.setHealth(success(5))
	close(release)
	wantHealth(t, wrote, 5)
	want := []sinkCall{
		{statuses: []string{"route/a=synced"}, health: -1},
		{statuses: []string{"route/b=error"}, health: -1},
		{statuses: []string{"route/a=error"}, health: -1},
		{health: 5},
	}
	wantWrites(t, sink, want)
}

// A reset during a round forgets the round's statuses not written yet.
func TestStatusQueueResetForgetsTheRound(t *testing.T) {
	sink, q, wrote, release := roundUnderWay(t)
	q.reset()
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncSynced)})
	q.setHealth(success(2))
	close(release)
	wantHealth(t, wrote, 2)
	want := []sinkCall{
		{statuses: []string{"route/a=synced"}, health: -1}, // under way at the reset
		{statuses: []string{"route/c=synced"}, health: -1},
		{health: 2},
	}
	wantWrites(t, sink, want)
}

// A handover in key order to an empty queue is written as given, a batch
// at a time, before anything handed over after it; a health record
// handed over after it waits for all of it.
func TestStatusQueueWritesAHandoverInOrderAsGiven(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.batch = 2
	q.statusesInOrder([]store.ObjectStatus{statusOf("a", store.SyncPending), statusOf("b", store.SyncPending), statusOf("c", store.SyncSynced)})
	if len(q.bulk) != 3 || len(q.pending) != 0 {
		t.Fatalf("a handover in order to an empty queue kept %d in its list and %d in pending, want 3 and 0", len(q.bulk), len(q.pending))
	}
	q.statuses([]store.ObjectStatus{statusOf("0", store.SyncSynced)})
	q.setHealth(success(7))
	q.statuses([]store.ObjectStatus{statusOf("d", store.SyncSynced)})
	wrote := runQueue(t, q)
	wantHealth(t, wrote, 7)
	q.setHealth(success(8))
	wantHealth(t, wrote, 8)
	want := []sinkCall{
		{statuses: []string{"route/a=pending", "route/b=pending"}, health: -1},
		{statuses: []string{"route/c=synced"}, health: -1},
		{statuses: []string{"route/0=synced"}, health: -1},
		{health: 7},
		{statuses: []string{"route/d=synced"}, health: -1},
		{health: 8},
	}
	wantWrites(t, sink, want)
}

// A status handed over again while its object's waits in a handover in
// order takes its place; one handed over again after its batch is
// written again after the handover.
func TestStatusQueueWritesAHandoverInOrdersStatusOnceAsLastHandedOver(t *testing.T) {
	sink, writing, release := holdingFirstWrite()
	q := newStatusQueue(sink, nil)
	q.batch = 1
	q.statusesInOrder([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced), statusOf("c", store.SyncSynced)})
	wrote := runQueue(t, q)
	<-writing
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncError), statusOf("a", store.SyncError)})
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncPending)})
	q.setHealth(success(5))
	close(release)
	wantHealth(t, wrote, 5)
	want := []sinkCall{
		{statuses: []string{"route/a=synced"}, health: -1},
		{statuses: []string{"route/b=synced"}, health: -1},
		{statuses: []string{"route/c=pending"}, health: -1},
		{statuses: []string{"route/a=error"}, health: -1},
		{health: 5},
	}
	wantWrites(t, sink, want)
}

// A health record handed over before a handover in order is written
// before it.
func TestStatusQueueWritesHealthBeforeAHandoverInOrderAfterIt(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.setHealth(success(1))
	q.statusesInOrder([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)})
	wrote := runQueue(t, q)
	wantHealth(t, wrote, 1)
	q.setHealth(success(2))
	wantHealth(t, wrote, 2)
	want := []sinkCall{
		{health: 1},
		{statuses: []string{"route/a=synced", "route/b=synced"}, health: -1},
		{health: 2},
	}
	wantWrites(t, sink, want)
}

// A handover in order to a queue holding statuses waits with them in
// pending, and is written in key order with them.
func TestStatusQueueTakesAHandoverInOrderToABusyQueueAsAnyOther(t *testing.T) {
	sink := &recordingSink{}
	q := newStatusQueue(sink, nil)
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncSynced), statusOf("a", store.SyncPending)})
	q.statusesInOrder([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)})
	if len(q.bulk) != 0 {
		t.Fatalf("a handover in order to a busy queue kept %d in its list, want none", len(q.bulk))
	}
	q.setHealth(success(3))
	<-runQueue(t, q)
	want := []sinkCall{
		{statuses: []string{"route/a=synced", "route/b=synced", "route/c=synced"}, health: -1},
		{health: 3},
	}
	wantWrites(t, sink, want)
}

// A reset forgets what a handover in order left unwritten.
func TestStatusQueueResetForgetsAHandoverInOrder(t *testing.T) {
	sink, writing, release := holdingFirstWrite()
	q := newStatusQueue(sink, nil)
	q.batch = 1
	q.statusesInOrder([]store.ObjectStatus{statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)})
	wrote := runQueue(t, q)
	<-writing
	q.reset()
	q.statuses([]store.ObjectStatus{statusOf("c", store.SyncSynced)})
	q.setHealth(success(2))
	close(release)
	wantHealth(t, wrote, 2)
	want := []sinkCall{
		{statuses: []string{"route/a=synced"}, health: -1}, // under way at the reset
		{statuses: []string{"route/c=synced"}, health: -1},
		{health: 2},
	}
	wantWrites(t, sink, want)
}

// A handover said to be in order that is not, or holds an object twice,
// waits in pending as any other: each object written once, as last handed
// over, in key order.
func TestStatusQueueTakesAHandoverOutOfOrderAsAnyOther(t *testing.T) {
	for name, ss := range map[string][]store.ObjectStatus{
		"out of order":    {statusOf("b", store.SyncSynced), statusOf("a", store.SyncSynced)},
		"an object twice": {statusOf("a", store.SyncPending), statusOf("a", store.SyncSynced), statusOf("b", store.SyncSynced)},
	} {
		t.Run(name, func(t *testing.T) {
			sink := &recordingSink{}
			q := newStatusQueue(sink, nil)
			q.statusesInOrder(ss)
			if len(q.bulk) != 0 {
				t.Fatalf("kept %d in its list, want none", len(q.bulk))
			}
			q.setHealth(success(1))
			<-runQueue(t, q)
			wantWrites(t, sink, []sinkCall{{statuses: []string{"route/a=synced", "route/b=synced"}, health: -1}, {health: 1}})
		})
	}
}

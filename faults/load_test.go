package faults

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// writeLoad is clients creating routes through the dashboard API as real
// clients do, each request a new route (SetRoute without an id) under an
// idempotency key of its own. A request answered Unavailable, or not
// answered at all, is sent again with the same key, through the next
// console when there are several (as behind a load balancer), until it is
// answered otherwise or the load gives up on it. What each request was
// finally told is kept, to be checked against the store.
type writeLoad struct {
	t       *testing.T
	routes  []pb.RouteServiceClient
	giveUp  time.Time // no request is sent again after this
	mu      sync.Mutex
	acked   map[string]string     // route name: the id the client was given
	refused map[string]codes.Code // route name: the code the client was finally told
	failed  map[codes.Code]int    // failed attempts, by code
	retried int                   // attempts that were sends again
	// said counts the Unavailable answers by what they said of the write.
	said map[string]int
	// replayed counts requests sent again that were answered with a route
	// created before that attempt: an earlier attempt had been applied,
	// and its key kept it from being applied twice.
	replayed int
	acks     []attempt // every acknowledged attempt, for recovery times
}

// attempt is when one acknowledged call was sent and answered.
type attempt struct{ sent, answered time.Time }

func newWriteLoad(t *testing.T, giveUp time.Time, conns ...*grpc.ClientConn) *writeLoad {
	l := &writeLoad{t: t, giveUp: giveUp, acked: map[string]string{}, refused: map[string]codes.Code{}, failed: map[codes.Code]int{}, said: map[string]int{}}
	for _, c := range conns {
		l.routes = append(l.routes, pb.NewRouteServiceClient(c))
	}
	return l
}

// run starts clients that create routes until stopAt, and returns a
// function that waits until every request has its final answer.
func (l *writeLoad) run(ctx context.Context, clients int, stopAt time.Time) (wait func()) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			target := i
			for n := 0; time.Now().Before(stopAt) && ctx.Err() == nil; n++ {
				target = l.create(ctx, fmt.Sprintf("c%02d-%05d", i, n), target)
			}
		})
	}
	return wg.Wait
}

// create sends one create until it has a final answer, and returns the
// console the client turns to next.
func (l *writeLoad) create(ctx context.Context, name string, target int) int {
	key := uuid.NewString()
	req := &pb.SetRouteRequest{Route: &pb.Route{NamespaceId: store.GlobalNamespaceID, Name: name,
		From: "https://" + name + ".faults.example.com", To: []string{"http://upstream.internal:8080"}}}
	backoff := 50 * time.Millisecond
	for sent := 0; ; sent++ {
		callCtx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, "idempotency-key", key), 10*time.Second)
		start := time.Now()
		res, err := l.routes[target%len(l.routes)].SetRoute(callCtx, req)
		cancel()
		l.mu.Lock()
		if sent > 0 {
			l.retried++
		}
		if err == nil {
			if sent > 0 && res.GetRoute().GetCreatedAt().AsTime().Before(start) {
				l.replayed++
			}
			l.acked[name] = res.GetRoute().GetId()
			l.acks = append(l.acks, attempt{sent: start, answered: time.Now()})
			l.mu.Unlock()
			return target
		}
		code := status.Code(err)
		l.failed[code]++
		if code == codes.Unavailable {
			l.said[whatItSaid(status.Convert(err).Message())]++
		}
		retry := (code == codes.Unavailable || code == codes.DeadlineExceeded) && time.Now().Before(l.giveUp) && ctx.Err() == nil
		if !retry {
			l.refused[name] = code
			l.t.Logf("create %s refused: %v", name, err)
		}
		l.mu.Unlock()
		if !retry {
			return target
		}
		target++
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// ackedID is the id the client was given for the route name, "" if none.
func (l *writeLoad) ackedID(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked[name]
}

// ackedSince reports whether a call sent at or after at has been
// acknowledged.
func (l *writeLoad) ackedSince(at time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		if !a.sent.Before(at) {
			return true
		}
	}
	return false
}

// stall is the longest time from at on during which no call was
// acknowledged, up to the first acknowledgement of a call sent at or
// after back: how long clients saw writes fail around a fault that began
// at and ended at back.
func (l *writeLoad) stall(at, back time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var answered []time.Time
	end := time.Time{}
	for _, a := range l.acks {
		if a.answered.After(at) {
			answered = append(answered, a.answered)
		}
		if !a.sent.Before(back) && (end.IsZero() || a.answered.Before(end)) {
			end = a.answered
		}
	}
	slices.SortFunc(answered, time.Time.Compare)
	longest, last := time.Duration(0), at
	for _, t := range answered {
		if t.After(end) {
			break
		}
		longest, last = max(longest, t.Sub(last)), t
	}
	return longest
}

// report logs the load's figures.
func (l *writeLoad) report() {
	l.mu.Lock()
	defer l.mu.Unlock()
	var failed []string
	for code, n := range l.failed {
		failed = append(failed, fmt.Sprintf("%v %d", code, n))
	}
	slices.Sort(failed)
	l.t.Logf("writes: %d acknowledged, %d refused in the end; %d failed attempts (%s; Unavailable said %d times the write was not applied, %d times it may have been, %d times nothing of it); %d sends again, %d of them answered from an earlier attempt that had been applied",
		len(l.acked), len(l.refused), sum(l.failed), strings.Join(failed, ", "),
		l.said[notApplied], l.said[maybeApplied], l.said[nothingSaid], l.retried, l.replayed)
}

// What an Unavailable answer says of the write it was about.
const (
	notApplied   = "not applied"
	maybeApplied = "may have been applied"
	nothingSaid  = "nothing said"
)

func whatItSaid(message string) string {
	switch {
	case strings.Contains(message, "this write was not applied"):
		return notApplied
	case strings.Contains(message, "may have been applied"):
		return maybeApplied
	}
	// A failed read (maybe after the write), credentials not checked,
	// or a console that could not be reached.
	return nothingSaid
}

// failedOtherThan returns the failed attempts whose code is not one of
// codes.
func (l *writeLoad) failedOtherThan(allowed ...codes.Code) map[codes.Code]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[codes.Code]int{}
	for code, n := range l.failed {
		if !slices.Contains(allowed, code) {
			out[code] = n
		}
	}
	return out
}

// settle is the end of every scenario with a write load: once finished
// has returned (every request has its final answer), it logs the load's
// figures, wants no attempt failed with a code other than Unavailable
// (the one code a client sends again on), and checks both invariants on
// the store st and the databroker.
func (l *writeLoad) settle(finished func(), st store.Store, broker *databroker.Client) {
	l.t.Helper()
	finished()
	l.report()
	if other := l.failedOtherThan(codes.Unavailable); len(other) > 0 {
		l.t.Errorf("attempts failed with codes other than Unavailable: %v", other)
	}
	l.checkStore(l.t.Context(), st)
	took := waitConverged(l.t, st, broker, time.Minute)
	l.t.Logf("the databroker held exactly the compiled desired state %s after the writes ended", ms(took))
}

// checkStore is the second invariant: every route a client was given is
// in the store under the id it was given, none a client was refused is,
// and there is nothing else (no route twice under two ids).
func (l *writeLoad) checkStore(ctx context.Context, st store.Store) {
	l.t.Helper()
	page, err := st.List(ctx, store.KindRoute, store.ListQuery{})
	if err != nil {
		l.t.Fatalf("list routes: %v", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	stored := map[string]string{}
	for _, o := range page.Objects {
		m := o.GetObjectMeta()
		if id, twice := stored[m.Name]; twice {
			l.t.Errorf("route %s stored twice: %s and %s", m.Name, id, m.ID)
		}
		stored[m.Name] = m.ID
	}
	for name, id := range l.acked {
		if stored[name] != id {
			l.t.Errorf("acknowledged route %s (id %s) is not in the store (found %q)", name, id, stored[name])
		}
	}
	for name, code := range l.refused {
		if id, ok := stored[name]; ok {
			l.t.Errorf("route %s was refused (%v) but is in the store as %s", name, code, id)
		}
	}
	for name, id := range stored {
		if _, ok := l.acked[name]; !ok {
			if _, ok := l.refused[name]; !ok {
				l.t.Errorf("route %s (%s) is in the store but no client wrote it", name, id)
			}
		}
	}
	if len(l.acked) == 0 {
		l.t.Error("no write was acknowledged")
	}
}

// waitConverged is the first invariant: the databroker comes to hold
// exactly the records a fresh compilation of the store gives, within
// within, and returns how long that took.
func waitConverged(t *testing.T, st store.Store, broker *databroker.Client, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	wait.Until(t, "the databroker holds exactly the compiled desired state", within, func() (bool, string) {
		return converged(t.Context(), st, broker)
	})
	return time.Since(start)
}

// converged compares the databroker's records of every type the console
// writes with a compilation of the store, data byte for byte.
func converged(ctx context.Context, st store.Store, broker *databroker.Client) (bool, string) {
	state, err := st.Load(ctx, store.WithSecrets())
	if err != nil {
		return false, "load desired state: " + err.Error()
	}
	if state.Settings != nil && state.Settings.Version == 0 {
		state.Settings = nil // settings nobody set are not written, as the loop does
	}
	want := map[string][]byte{}
	for _, rec := range compile.Compile(state).Records {
		want[rec.Type+" "+rec.Id] = rec.Data.GetValue()
	}
	have := map[string][]byte{}
	for _, rt := range compile.RecordTypes {
		if _, err := broker.SyncLatest(ctx, rt, func(r *dbpb.Record) { have[rt+" "+r.Id] = r.Data.GetValue() }); err != nil {
			return false, "read the databroker: " + err.Error()
		}
	}
	var missing, extra int
	for k, v := range want {
		if got, ok := have[k]; !ok || !bytes.Equal(got, v) {
			missing++
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			extra++
		}
	}
	return missing == 0 && extra == 0, fmt.Sprintf("%d compiled records missing or different, %d records not compiled (of %d compiled)", missing, extra, len(want))
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

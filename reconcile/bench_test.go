package reconcile_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var (
	benchEdits     = flag.Int("edits", 200, "edits timed by the edit-latency benchmark")
	benchSizes     = flag.String("sizes", "1000,10000,100000", "route counts of the reconcile benchmarks")
	benchBrokers   = flag.String("brokers", "embedded,pomerium", "databrokers of the reconcile benchmarks: embedded, pomerium")
	benchHeap      = flag.String("heapprofile", "", "directory to write a heap profile into after each cold start, once its first pass is done")
	benchColdCPU   = flag.String("coldprofile", "", "directory to write a CPU profile of each cold start into, from the loop's start until its first pass is done")
	benchColdTrace = flag.String("coldtrace", "", "directory to write an execution trace of each cold start into, from the loop's start until its first pass is done")
	benchEditCPU   = flag.String("editprofile", "", "directory to write a CPU profile of each edit benchmark's edits into, with allocation profiles from before and after them")
	benchResyncCPU = flag.String("resyncprofile", "", "directory to write a CPU profile of the resync benchmark's timed resyncs into, with allocation profiles from before and after them")
	benchEditTrace = flag.String("edittrace", "", "directory to write an execution trace into of the second before each of an edit benchmark's first five edits slower than 25 ms (written between two edits, outside their latencies)")
)

// BenchmarkReconcile measures the loop on both stores, against the
// embedded databroker and against Pomerium's own (dbserver), each over a
// socket, at growing numbers of routes (100 namespaces, 1,000 policies, 10%
// enforced): a cold reconcile beside a bare batched Put of the same records
// into a fresh databroker of the same kind, then at the largest size edit
// latency, a no-op pass, a change touching a tenth of the routes and a
// resync.
// Run it once: go test -run '^$' -bench Reconcile -benchtime 1x ./reconcile/
func BenchmarkReconcile(b *testing.B) {
	sizes := parseSizes(b, *benchSizes)
	brokers := parseBrokers(b, *benchBrokers)
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"postgres", func(b *testing.B) store.Store {
			s, err := postgres.Open(b.Context(), postgres.Options{URL: srv.NewTestDatabase(b), EncryptionKey: make([]byte, 32), Logger: logr.Discard()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"sqlite", func(b *testing.B) store.Store {
			s, err := sqlite.Open(b.Context(), sqlite.Options{Path: filepath.Join(b.TempDir(), "db"), EncryptionKey: make([]byte, 32), Logger: logr.Discard()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			seed := newSeeder(b, s)
			// One loop at a time runs on the store: loops of several
			// worlds would each write every object's status.
			last := map[brokerKind]*benchWorld{}
			for _, n := range sizes {
				seed.growTo(n)
				storetest.Settle(b, s)
				for _, kind := range brokers {
					parent := b
					b.Run(fmt.Sprintf("%s/routes=%d/cold", kind, n), func(b *testing.B) { last[kind] = benchCold(b, parent, s, kind) })
					if w := last[kind]; w != nil {
						w.stop()
					}
				}
			}
			n := sizes[len(sizes)-1]
			for _, kind := range brokers {
				w := last[kind]
				if w == nil {
					continue // its cold start failed
				}
				w.start(b)
				b.Run(fmt.Sprintf("%s/routes=%d/edit", kind, n), func(b *testing.B) { benchEdit(b, w, seed, noLoad) })
				b.Run(fmt.Sprintf("%s/routes=%d/edit-during-resync", kind, n), func(b *testing.B) { benchEdit(b, w, seed, resyncLoad) })
				b.Run(fmt.Sprintf("%s/routes=%d/edit-during-bulk", kind, n), func(b *testing.B) { benchEdit(b, w, seed, bulkLoad) })
				b.Run(fmt.Sprintf("%s/routes=%d/noop", kind, n), func(b *testing.B) { benchNoop(b, w) })
				b.Run(fmt.Sprintf("%s/routes=%d/bulk", kind, n), func(b *testing.B) { benchBulk(b, w, seed) })
				b.Run(fmt.Sprintf("%s/routes=%d/resync", kind, n), func(b *testing.B) { benchResync(b, w) })
				w.stop()
			}
		})
	}
}

// benchWorld is a databroker and the loop that writes it.
type benchWorld struct {
	store store.Store
	// indexReads counts the loop's reads of the store's whole index.
	indexReads atomic.Int64
	client     *databroker.Client // an observer's
	metrics    *reconcile.Metrics
	requests   *atomic.Int64
	loop       *reconcile.Loop
	// loopClient is the loop's, counting its calls in requests.
	loopClient *databroker.Client
	owner      *testing.B
	stop       func()
}

// start runs a new loop on the world, ended by stop or by the end of
// owner; with b, it returns once the loop has finished its first pass.
func (w *benchWorld) start(b *testing.B) {
	w.metrics = reconcile.NewMetrics(nil)
	w.loop = reconcile.New(reconcile.Options{Store: &indexCounting{Store: w.store, reads: &w.indexReads}, Client: w.loopClient, Instance: "bench",
		Metrics: w.metrics, ResyncInterval: time.Hour, Logger: logr.Discard()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.loop.Run(ctx)
	}()
	var once sync.Once
	w.stop = func() { once.Do(func() { cancel(); <-done }) }
	w.owner.Cleanup(w.stop)
	if b != nil {
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.LastSuccess) > 0 })
	}
}

// benchBroker starts a fresh databroker of kind and returns its URL, its
// shared secret and what stops it; it stops when owner ends if not before.
func benchBroker(owner *testing.B, kind brokerKind) (url string, sharedSecret []byte, stop func()) {
	if kind == pomeriumBroker {
		d, err := pomeriumtest.Start(owner.Context())
		if err != nil {
			owner.Fatal(err)
		}
		stop = sync.OnceFunc(func() { _ = d.Stop() })
		owner.Cleanup(stop)
		return d.URL(), d.SharedSecret(), stop
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(4 << 20))
	memory.New(memory.Options{SharedSecret: secret}).Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		owner.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }() // ends with Stop below
	stop = sync.OnceFunc(gs.Stop)
	owner.Cleanup(stop)
	return "http://" + lis.Addr().String(), secret, stop
}

// benchClient dials a databroker, counting in requests (when not nil) the
// calls made through it, lease calls left out: renewing the writer lease is
// what holding it costs, not something a pass asks for.
func benchClient(b *testing.B, url string, sharedSecret []byte, requests *atomic.Int64) *databroker.Client {
	var opts []grpc.DialOption
	if requests != nil {
		opts = append(opts,
			grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
				if !strings.HasSuffix(method, "Lease") {
					requests.Add(1)
				}
				return invoker(ctx, method, req, reply, cc, callOpts...)
			}),
			grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
				requests.Add(1)
				return streamer(ctx, desc, cc, method, callOpts...)
			}))
	}
	c, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: sharedSecret, DialOptions: opts, Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// benchCold times a cold reconcile beside a bare batched Put of the same
// records: until every record is in the databroker, and until the first
// pass is done (statuses written too). The world it leaves converged
// belongs to owner, so that the edit and no-op benchmarks can use it after
// b ends.
func benchCold(b, owner *testing.B, s store.Store, kind brokerKind) *benchWorld {
	ctx := b.Context()
	var w *benchWorld
	for b.Loop() {
		records := bareRecords(b, s)
		rawURL, rawSecret, stopRaw := benchBroker(b, kind)
		raw := benchClient(b, rawURL, rawSecret, nil)
		start := time.Now()
		if err := pb.PutMulti(ctx, raw.RPC(), records...); err != nil {
			b.Fatal(err)
		}
		rawTime := time.Since(start)
		_ = raw.Close()
		// Gone before the loop starts, with the databroker that took them
		// (the embedded one holds them in this process): a million records
		// are 0.9 GB that the collections of the loop's cold start would
		// otherwise mark.
		stopRaw()
		n := len(records)
		records = nil

		url, sharedSecret, _ := benchBroker(owner, kind)
		requests := new(atomic.Int64)
		w = &benchWorld{store: s, client: benchClient(owner, url, sharedSecret, nil), requests: requests,
			loopClient: benchClient(owner, url, sharedSecret, requests), owner: owner}
		before := liveHeap()
		stopProfile, stopTrace := func() {}, func() {}
		if *benchColdCPU != "" {
			stopProfile = startCPUProfile(b, benchFile(b, *benchColdCPU, ".cpu"))
		}
		if *benchColdTrace != "" {
			stopTrace = startTrace(b, benchFile(b, *benchColdTrace, ".trace"))
		}
		start = time.Now()
		w.start(nil)
		// A million routes took 161 s to be in on a slow day: wait half a
		// millisecond a route (500 s at a million), or three minutes.
		within := max(3*time.Minute, time.Duration(n)*500*time.Microsecond)
		waitWithin(b, within, func() bool { return testutil.ToFloat64(w.metrics.ViewRecords) >= float64(n) })
		in := time.Since(start)
		waitWithin(b, within, func() bool { return testutil.ToFloat64(w.metrics.LastSuccess) > 0 })
		done := time.Since(start)
		stopTrace()
		stopProfile()
		if *benchHeap != "" {
			writeHeapProfile(b, benchFile(b, *benchHeap, ".heap"))
		}
		// What the loop holds once its first pass is done, per route: the
		// compiled copy, the view, the statuses it wrote, and what its
		// streams have in flight.
		b.ReportMetric(float64(liveHeap()-before)/float64(n), "B/route-held")
		b.ReportMetric(rawTime.Seconds(), "s/bare-put")
		b.ReportMetric(in.Seconds(), "s/records-in")
		b.ReportMetric(done.Seconds(), "s/first-pass")
		b.ReportMetric(rawTime.Seconds()/in.Seconds(), "ratio-in")
		b.ReportMetric(rawTime.Seconds()/done.Seconds(), "ratio-pass")
	}
	return w
}

// bareRecords compiles the store's records for a bare Put, as the loop
// would write them.
func bareRecords(b *testing.B, s store.Store) []*pb.Record {
	st, err := s.Load(b.Context(), store.WithSecrets())
	if err != nil {
		b.Fatal(err)
	}
	if st.Settings.Version == 0 {
		st.Settings = nil // as the loop does: settings nobody set are not written
	}
	records := compile.Compile(st).Records
	runtime.GC() // what the compilation left is not the bare Put's to collect
	return records
}

// editLoad is the work the loop has while benchEdit times edits.
type editLoad int

const (
	noLoad editLoad = iota
	// resyncLoad asks for a resync all along: the loop has every object to
	// compare with the store and the databroker.
	resyncLoad
	// bulkLoad adds, every second, a policy of a team's namespaces
	// becoming enforced or no longer: a tenth of the routes (12,100 at
	// 100,000) compiled again, and their records and statuses written
	// again.
	bulkLoad
)

// benchEdit times edits from the store write until a Sync watcher sees the
// record, while the loop has load's work to do.
func benchEdit(b *testing.B, w *benchWorld, seed *seeder, load editLoad) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	seen := make(chan *pb.Record, 1024)
	vs, err := w.client.SyncLatest(ctx, compile.RecordTypeRoute, func(*pb.Record) {})
	if err != nil {
		b.Fatal(err)
	}
	// The routes edited, read before the timing; a route is edited again
	// only after as many edits as there are routes (7919 is prime).
	editedID := func(i int) string { return seed.routeIDs[(i*7919)%len(seed.routeIDs)] }
	edited := map[string]*store.Route{}
	for i := range *benchEdits {
		id := editedID(i)
		if edited[id] != nil {
			continue
		}
		r, err := store.Get[*store.Route](ctx, w.store, id)
		if err != nil {
			b.Fatal(err)
		}
		edited[id] = r
	}
	go func() {
		_ = w.client.Sync(ctx, compile.RecordTypeRoute, vs, databroker.SyncHandler{
			Record: func(r *pb.Record) error {
				if !bytes.Contains(r.GetData().GetValue(), []byte("https://edit-")) {
					return nil // the bulk work's records: nobody waits for them
				}
				select {
				case seen <- r:
				case <-ctx.Done():
				}
				return nil
			},
			// The records of routes not edited are left undecoded, as
			// the loop leaves its own: the watcher stands for a proxy,
			// which would not decode them in the console's process.
			Held: func(id []byte, _ uint64) bool { return edited[string(id)] == nil },
		})
	}()
	var bulkWrites atomic.Int64
	if load >= resyncLoad {
		passes := passCount(b, w.metrics)
		go func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for ctx.Err() == nil {
				w.loop.Resync()
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
		}()
		// Let the resync be under way before the first edit.
		waitFor(b, func() bool { return passCount(b, w.metrics) > passes+10 })
	}
	if load >= bulkLoad {
		team := seed.namespaces[1] // with ten namespaces below it
		enforced, err := store.Put(ctx, w.store, actor, policy(team, fmt.Sprintf("enforced-%d", time.Now().UnixNano()), "allow:\n  or:\n    - email: {is: bulk-0@example.com}\n", true), 0)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			p := enforced
			for ctx.Err() == nil {
				p.Enforced = !p.Enforced
				if _, err := store.Put(ctx, w.store, actor, p, 0); err == nil {
					bulkWrites.Add(1)
				}
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
		}()
		waitFor(b, func() bool { return bulkWrites.Load() > 0 })
	}
	// latencies are from the call to the record on the stream; puts to
	// the store's answer, its write transaction's part of them.
	var latencies, puts []time.Duration
	// The records the loop writes meanwhile, the edits' included: with a
	// bulk load, whether the bulk work keeps up with its changes.
	put, began := testutil.ToFloat64(w.metrics.RecordsPut), time.Now()
	if *benchEditCPU != "" {
		stop := startCPUProfile(b, benchFile(b, *benchEditCPU, ".cpu"))
		defer stop()
	}
	slow := startEditTrace(b)
	// The benchmark's own garbage (the watcher's first read of every
	// record, the edited routes' reads) is collected before the timing,
	// not by a collection during the edits, which serve would not make.
	runtime.GC()
	var gcs uint32
	var resyncs float64
	var indexReads int64
	for b.Loop() {
		// What is reported is the last iteration's.
		latencies, puts = latencies[:0], puts[:0]
		gcs, resyncs, indexReads = numGC(), testutil.ToFloat64(w.metrics.Resyncs), w.indexReads.Load()
		for i := range *benchEdits {
			r := edited[editedID(i)]
			target := fmt.Sprintf("https://edit-%d-%d.internal", i, time.Now().UnixNano())
			r.Spec.To = []string{target}
			trace.Logf(ctx, "edit", "%d begins", i)
			start := time.Now()
			if _, err := store.Put(ctx, w.store, actor, r, 0); err != nil {
				b.Fatal(err)
			}
			puts = append(puts, time.Since(start))
			trace.Logf(ctx, "edit", "%d stored", i)
			waitRecord(b, seen, r.ID, target)
			latencies = append(latencies, time.Since(start))
			trace.Logf(ctx, "edit", "%d seen", i)
			slow(i, latencies[len(latencies)-1])
		}
	}
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{{"", latencies}, {"put-", puts}} {
		slices.Sort(m.ds)
		b.ReportMetric(float64(m.ds[len(m.ds)/2].Microseconds())/1000, m.name+"p50-ms")
		b.ReportMetric(float64(m.ds[len(m.ds)*99/100].Microseconds())/1000, m.name+"p99-ms")
	}
	// A collection's marking at a million routes takes seconds, and its
	// workers take any core the process leaves idle, which Pomerium's
	// databroker and SQLite then wait for.
	b.ReportMetric(float64(numGC()-gcs), "gcs")
	if load >= resyncLoad {
		// A resync that reads the store's whole index during edits costs
		// the store and the collector far more than one whose sums agree.
		b.ReportMetric(testutil.ToFloat64(w.metrics.Resyncs)-resyncs, "resyncs")
		b.ReportMetric(float64(w.indexReads.Load()-indexReads), "index-reads")
	}
	if load >= bulkLoad {
		b.ReportMetric(float64(bulkWrites.Load()), "bulk-writes")
		b.ReportMetric((testutil.ToFloat64(w.metrics.RecordsPut)-put)/time.Since(began).Seconds(), "records/s")
	}
}

// startEditTrace, with -edittrace, keeps the last second or more of the
// process's execution trace and returns a function that writes it out after
// each of the first five edits slower than 25 ms. Each edit logs when it
// begins, is stored and is seen, under the category "edit".
func startEditTrace(b *testing.B) (slow func(edit int, took time.Duration)) {
	if *benchEditTrace == "" {
		return func(int, time.Duration) {}
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: time.Second, MaxBytes: 64 << 20})
	if err := fr.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fr.Stop)
	written := 0
	return func(edit int, took time.Duration) {
		if took <= 25*time.Millisecond || written == 5 {
			return
		}
		written++
		path := benchFile(b, *benchEditTrace, fmt.Sprintf("_edit-%d_%dms.trace", edit, took.Milliseconds()))
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		_, err = fr.WriteTo(f)
		if err = errors.Join(err, f.Close()); err != nil {
			b.Fatal(err)
		}
	}
}

func waitRecord(b *testing.B, seen <-chan *pb.Record, id, to string) {
	deadline := time.After(time.Minute)
	for {
		select {
		case rec := <-seen:
			var r configpb.Route
			if rec.Id == id && rec.Data.UnmarshalTo(&r) == nil && slices.Equal(r.To, []string{to}) {
				return
			}
		case <-deadline:
			b.Fatalf("edit of route %s not seen within a minute", id)
		}
	}
}

func benchNoop(b *testing.B, w *benchWorld) {
	ctx := b.Context()
	for b.Loop() {
		// Let any pass still running for an earlier write finish, and
		// bulk work an earlier benchmark left, so that the pass timed below
		// is the one the unrelated write wakes.
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.BulkQueue) == 0 })
		current, err := w.store.Version(ctx)
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, func() bool { return syncedVersion(b, w.store) >= current })
		puts, deletes := testutil.ToFloat64(w.metrics.RecordsPut), testutil.ToFloat64(w.metrics.RecordsDeleted)
		before := w.requests.Load()
		start := time.Now()
		sa, err := store.Put(ctx, w.store, actor, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{
			NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("wake-%d", time.Now().UnixNano())}}, 0)
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, func() bool { return syncedVersion(b, w.store) >= sa.Version })
		elapsed := time.Since(start)
		b.ReportMetric(elapsed.Seconds(), "s/pass")
		b.ReportMetric(testutil.ToFloat64(w.metrics.RecordsPut)-puts+testutil.ToFloat64(w.metrics.RecordsDeleted)-deletes, "records-written")
		b.ReportMetric(float64(w.requests.Load()-before), "databroker-requests")
	}
}

// benchBulk times a change that touches many routes, as the edit benchmark's
// bulk load makes them: a policy enforced on a team (ten namespaces, a
// tenth of the routes) until every record and status it changes is
// written.
func benchBulk(b *testing.B, w *benchWorld, seed *seeder) {
	ctx := b.Context()
	for b.Loop() {
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.BulkQueue) == 0 })
		puts := testutil.ToFloat64(w.metrics.RecordsPut)
		start := time.Now()
		p, err := store.Put(ctx, w.store, actor, policy(seed.namespaces[1], fmt.Sprintf("bulk-%d", time.Now().UnixNano()), "allow:\n  or:\n    - email: {is: bulk-1@example.com}\n", true), 0)
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, func() bool { return syncedVersion(b, w.store) >= p.Version })
		b.ReportMetric(time.Since(start).Seconds(), "s/change")
		b.ReportMetric(testutil.ToFloat64(w.metrics.RecordsPut)-puts, "records-written")
	}
}

// benchResync times the periodic resyncs of a converged loop, every object
// compared with the view: one whose store sums agree with the compiled
// copy's (s/resync) and one that reads the store's whole index as every
// reconcile.WholeIndexEvery-th does (s/resync-whole-index). Resyncs are
// asked for until one of each was seen; gcs, records-written and
// databroker-requests count what those two did.
func benchResync(b *testing.B, w *benchWorld) {
	if *benchResyncCPU != "" {
		stop := startCPUProfile(b, benchFile(b, *benchResyncCPU, ".cpu"))
		defer stop()
	}
	// resync asks for a resync and waits for it: its time, whether it read
	// the whole index, and what it did.
	type done struct {
		took                   time.Duration
		whole                  bool
		gcs, written, requests float64
	}
	resync := func() done {
		resyncs := testutil.ToFloat64(w.metrics.Resyncs)
		reads, gcs, requests := w.indexReads.Load(), numGC(), w.requests.Load()
		written := testutil.ToFloat64(w.metrics.RecordsPut) + testutil.ToFloat64(w.metrics.RecordsDeleted)
		start := time.Now()
		w.loop.Resync()
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.Resyncs) > resyncs })
		return done{
			took:     time.Since(start),
			whole:    w.indexReads.Load() > reads,
			gcs:      float64(numGC() - gcs),
			written:  testutil.ToFloat64(w.metrics.RecordsPut) + testutil.ToFloat64(w.metrics.RecordsDeleted) - written,
			requests: float64(w.requests.Load() - requests),
		}
	}
	for b.Loop() {
		// Bulk work an earlier benchmark left is not this resync's, nor is
		// a resync it asked for that is still under way: one asked for
		// now ends it first.
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.BulkQueue) == 0 })
		resync()
		var sums, whole *done
		for i := 0; sums == nil || whole == nil; i++ {
			if i > 2*reconcile.WholeIndexEvery {
				b.Fatalf("%d resyncs timed: none with sums that agree (%t) or none reading the whole index (%t)", i, sums == nil, whole == nil)
			}
			d := resync()
			switch {
			case d.whole && whole == nil:
				whole = &d
			case !d.whole && sums == nil:
				sums = &d
			}
		}
		b.ReportMetric(sums.took.Seconds(), "s/resync")
		b.ReportMetric(whole.took.Seconds(), "s/resync-whole-index")
		b.ReportMetric(sums.gcs+whole.gcs, "gcs")
		b.ReportMetric(sums.written+whole.written, "records-written")
		b.ReportMetric(sums.requests+whole.requests, "databroker-requests")
	}
}

// numGC returns how many collections have run.
func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// indexCounting is a store that counts its reads of the whole index.
type indexCounting struct {
	reconcile.Store
	reads *atomic.Int64
}

func (s *indexCounting) Index(ctx context.Context) (*store.Index, error) {
	s.reads.Add(1)
	return s.Store.Index(ctx)
}

// syncedVersion is the store version the loop's last successful pass compiled.
func syncedVersion(b *testing.B, s store.Store) int64 {
	h, err := s.Health(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	if len(h) == 0 {
		return 0
	}
	return h[0].SyncedVersion
}

func waitFor(b *testing.B, cond func() bool) { waitWithin(b, 3*time.Minute, cond) }

// waitWithin waits until cond holds, failing b after within.
func waitWithin(b *testing.B, within time.Duration, cond func() bool) {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s", within)
		}
		time.Sleep(2 * time.Millisecond) // polling granularity of a timing measurement
	}
}

// liveHeap returns the bytes of the heap still reachable after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// writeHeapProfile writes what the process holds once garbage is collected.
func writeHeapProfile(b *testing.B, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// benchFile is the file in dir named after b, ending in suffix.
func benchFile(b *testing.B, dir, suffix string) string {
	return filepath.Join(dir, strings.ReplaceAll(b.Name(), "/", "_")+suffix)
}

// startTrace writes an execution trace to path until stop.
func startTrace(b *testing.B, path string) (stop func()) {
	return startWriting(b, path, trace.Start, trace.Stop)
}

// startCPUProfile writes a CPU profile to path until stop, and the
// allocation profiles at the start and at stop beside it (path with
// .allocs-before and .allocs-after for .cpu): what was allocated meanwhile
// is their difference (pprof -diff_base).
func startCPUProfile(b *testing.B, path string) (stop func()) {
	allocs := func(suffix string) {
		runtime.GC() // the profile counts allocations up to the last collection
		if err := writeProfile("allocs", strings.TrimSuffix(path, ".cpu")+suffix); err != nil {
			b.Error(err)
		}
	}
	allocs(".allocs-before")
	stopCPU := startWriting(b, path, pprof.StartCPUProfile, pprof.StopCPUProfile)
	return func() {
		stopCPU()
		allocs(".allocs-after")
	}
}

// startWriting creates path and starts writing to it with start, until the
// returned stop calls end and closes it.
func startWriting(b *testing.B, path string, start func(io.Writer) error, end func()) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := start(f); err != nil {
		_ = f.Close()
		b.Fatal(err)
	}
	return func() {
		end()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup(name).WriteTo(f, 0), f.Close())
}

func parseBrokers(b *testing.B, s string) []brokerKind {
	var out []brokerKind
	for f := range strings.SplitSeq(s, ",") {
		switch k := brokerKind(strings.TrimSpace(f)); k {
		case embeddedBroker, pomeriumBroker:
			out = append(out, k)
		default:
			b.Fatalf("-brokers: %q is not embedded or pomerium", f)
		}
	}
	return out
}

func parseSizes(b *testing.B, s string) []int {
	var out []int
	for _, f := range slices.Collect(func(yield func(string) bool) {
		start := 0
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ',' {
				if !yield(s[start:i]) {
					return
				}
				start = i + 1
			}
		}
	}) {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n <= 0 {
			b.Fatalf("-sizes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out
}

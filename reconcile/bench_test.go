package reconcile_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
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
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

var (
	benchEdits = flag.Int("edits", 200, "edits timed by the edit-latency benchmark")
	benchSizes = flag.String("sizes", "1000,10000,100000", "route counts of the reconcile benchmarks")
)

// BenchmarkReconcile measures the loop against the embedded databroker over
// a socket, on both stores, at growing numbers of routes (100 namespaces,
// 1,000 policies, 10% enforced): a cold reconcile against a raw PutMulti of
// the same records, then at the largest size edit latency and a no-op pass.
// Run it once: go test -run '^$' -bench Reconcile -benchtime 1x ./reconcile/
func BenchmarkReconcile(b *testing.B) {
	sizes := parseSizes(b, *benchSizes)
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
			var last *benchWorld
			for _, n := range sizes {
				seed.growTo(n)
				parent := b
				b.Run(fmt.Sprintf("routes=%d/cold", n), func(b *testing.B) { last = benchCold(b, parent, s) })
			}
			b.Run(fmt.Sprintf("routes=%d/edit", sizes[len(sizes)-1]), func(b *testing.B) { benchEdit(b, last, seed) })
			b.Run(fmt.Sprintf("routes=%d/noop", sizes[len(sizes)-1]), func(b *testing.B) { benchNoop(b, last) })
			b.Run(fmt.Sprintf("routes=%d/resync", sizes[len(sizes)-1]), func(b *testing.B) { benchResync(b, last) })
		})
	}
}

// benchWorld is a databroker with a converged loop on it.
type benchWorld struct {
	store    store.Store
	client   *databroker.Client
	metrics  *reconcile.Metrics
	requests *atomic.Int64
	loop     *reconcile.Loop
}

// countingBroker starts an embedded databroker that counts the calls it
// answers, lease calls left out.
func countingBroker(b *testing.B) (string, *atomic.Int64) {
	var n atomic.Int64
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(4<<20),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			// Renewing the writer lease is what holding it costs, not
			// something a pass asks for.
			if !strings.HasSuffix(info.FullMethod, "Lease") {
				n.Add(1)
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			n.Add(1)
			return h(srv, ss)
		}))
	memory.New(memory.Options{SharedSecret: secret}).Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }() // ends with Stop below
	b.Cleanup(gs.Stop)
	return "http://" + lis.Addr().String(), &n
}

func benchClient(b *testing.B, url string) *databroker.Client {
	c, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// benchCold times a cold reconcile; the world it leaves converged belongs to
// owner, so that the edit and no-op benchmarks can use it after b ends.
func benchCold(b, owner *testing.B, s store.Store) *benchWorld {
	ctx := b.Context()
	st, err := s.Load(ctx, store.WithSecrets())
	if err != nil {
		b.Fatal(err)
	}
	if st.Settings.Version == 0 {
		st.Settings = nil // as the loop does: settings nobody set are not written
	}
	records := compile.Compile(st).Records
	var w *benchWorld
	for b.Loop() {
		rawURL, _ := countingBroker(b)
		raw := benchClient(b, rawURL)
		start := time.Now()
		if err := pb.PutMulti(ctx, raw.RPC(), records...); err != nil {
			b.Fatal(err)
		}
		rawTime := time.Since(start)

		url, requests := countingBroker(owner)
		w = &benchWorld{store: s, client: benchClient(owner, url), metrics: reconcile.NewMetrics(nil), requests: requests}
		loop := reconcile.New(reconcile.Options{Store: s, Client: benchClient(owner, url), Instance: "bench",
			Metrics: w.metrics, ResyncInterval: time.Hour, Logger: logr.Discard()})
		lctx, cancel := context.WithCancel(context.Background())
		owner.Cleanup(cancel)
		start = time.Now()
		w.loop = loop
		go func() { _ = loop.Run(lctx) }()
		waitFor(b, func() bool { return testutil.ToFloat64(w.metrics.ViewRecords) >= float64(len(records)) })
		cold := time.Since(start)
		b.ReportMetric(float64(len(records))/cold.Seconds(), "records/s")
		b.ReportMetric(float64(len(records))/rawTime.Seconds(), "raw-records/s")
		b.ReportMetric(rawTime.Seconds()/cold.Seconds(), "ratio")
		b.ReportMetric(cold.Seconds(), "s/cold")
	}
	return w
}

func benchEdit(b *testing.B, w *benchWorld, seed *seeder) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	seen := make(chan *pb.Record, 1024)
	vs, err := w.client.SyncLatest(ctx, compile.RecordTypeRoute, func(*pb.Record) {})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		_ = w.client.Sync(ctx, compile.RecordTypeRoute, vs, func(r *pb.Record) error { seen <- r; return nil })
	}()
	var latencies []time.Duration
	for b.Loop() {
		latencies = latencies[:0]
		for i := range *benchEdits {
			r := seed.routes[(i*7919)%len(seed.routes)]
			target := fmt.Sprintf("https://edit-%d-%d.internal", i, time.Now().UnixNano())
			r.Spec.To = []string{target}
			start := time.Now()
			if _, err := store.Put(ctx, w.store, actor, r, 0); err != nil {
				b.Fatal(err)
			}
			waitRecord(b, seen, r.ID, target)
			latencies = append(latencies, time.Since(start))
		}
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
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
		// Let any pass still running for an earlier write finish, so that
		// the pass timed below is the one the unrelated write wakes.
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

// benchResync times a periodic resync of a converged loop: the whole store
// read again and every object compared with the view.
func benchResync(b *testing.B, w *benchWorld) {
	for b.Loop() {
		passes := passCount(b, w.metrics)
		puts, deletes := testutil.ToFloat64(w.metrics.RecordsPut), testutil.ToFloat64(w.metrics.RecordsDeleted)
		before := w.requests.Load()
		start := time.Now()
		w.loop.Resync()
		waitFor(b, func() bool { return passCount(b, w.metrics) > passes })
		b.ReportMetric(time.Since(start).Seconds(), "s/resync")
		b.ReportMetric(testutil.ToFloat64(w.metrics.RecordsPut)-puts+testutil.ToFloat64(w.metrics.RecordsDeleted)-deletes, "records-written")
		b.ReportMetric(float64(w.requests.Load()-before), "databroker-requests")
	}
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

func waitFor(b *testing.B, cond func() bool) {
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(2 * time.Millisecond) // polling granularity of a timing measurement
	}
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

package api_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// BenchmarkAPI measures the API on PostgreSQL over TLS with gRPC clients:
// SetRoute and GetRoute calls a second at 1, 8 and 64 concurrent clients,
// ListRoutes latency for a page of 100 of 100,000 routes in a namespace,
// and the time from SetRoute returning to the record being visible in the
// databroker. Run it once:
// go test -run '^$' -bench API -benchtime 1x ./server/api/
func BenchmarkAPI(b *testing.B) {
	e := newEnv(b)
	ns := e.namespace(store.GlobalNamespaceID, "Bench")
	token := e.adminToken()
	ctx := as(context.Background(), token)
	routes := pb.NewRouteServiceClient(e.conn)
	for _, clients := range []int{1, 8, 64} {
		var ids []string
		var mu sync.Mutex
		b.Run(fmt.Sprintf("SetRoute/clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				n := 0
				rate := concurrently(b, clients, 2000, func(i int) error {
					res, err := routes.SetRoute(ctx, &pb.SetRouteRequest{Route: newRoute(ns.ID, fmt.Sprintf("set-%d-%d", clients, i), fmt.Sprintf("https://set-%d-%d.example.com", clients, i))})
					if err == nil {
						mu.Lock()
						ids, n = append(ids, res.Route.Id), n+1
						mu.Unlock()
					}
					return err
				})
				b.ReportMetric(rate, "calls/s")
			}
		})
		b.Run(fmt.Sprintf("GetRoute/clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				rate := concurrently(b, clients, 5000, func(i int) error {
					_, err := routes.GetRoute(ctx, &pb.GetRouteRequest{Id: ids[i%len(ids)]})
					return err
				})
				b.ReportMetric(rate, "calls/s")
			}
		})
	}
	b.Run("ListRoutes/routes=100000/page=100", func(b *testing.B) {
		e.seedRoutes(b, ns.ID, 100_000)
		for b.Loop() {
			var lat []time.Duration
			for i := range 200 {
				start := time.Now()
				res, err := routes.ListRoutes(ctx, &pb.ListRoutesRequest{Namespace: ns.ID, Offset: new(int64(i * 487 % 99_900)), Limit: new(int64(100))})
				if err != nil || len(res.Routes) != 100 {
					b.Fatalf("list: %d routes, %v", len(res.GetRoutes()), err)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		}
	})
	b.Run("SetRoute-to-databroker", func(b *testing.B) {
		broker := e.startReconciler()
		// Time edits, not the first pass over the 100,000 routes seeded above.
		current, err := e.store.Version(e.ctx)
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, "the reconciler to write the seeded routes", func() bool {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) > 0 && h[0].SyncedVersion >= current
		}, 5*time.Minute)
		seen := watchRoutes(b, broker)
		for b.Loop() {
			var fromCall, fromReturn []time.Duration
			for i := range 100 {
				to := fmt.Sprintf("https://to-%d-%d.internal", i, time.Now().UnixNano())
				r := newRoute(ns.ID, fmt.Sprintf("visible-%d-%d", i, time.Now().UnixNano()), fmt.Sprintf("https://visible-%d-%d.example.com", i, time.Now().UnixNano()))
				r.To = []string{to}
				start := time.Now()
				if _, err := routes.SetRoute(ctx, &pb.SetRouteRequest{Route: r}); err != nil {
					b.Fatal(err)
				}
				returned := time.Now()
				seenAt := waitSeen(b, seen, to)
				fromCall = append(fromCall, seenAt.Sub(start))
				fromReturn = append(fromReturn, max(0, seenAt.Sub(returned)))
			}
			// The record often reaches the databroker before the response
			// reaches the client: from-return is then zero.
			reportPercentiles(b, fromReturn, "after-return")
			reportPercentiles(b, fromCall, "after-call")
		}
	})
}

// concurrently makes total calls from clients goroutines and returns calls
// a second.
func concurrently(b *testing.B, clients, total int, call func(i int) error) float64 {
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for i := c; i < total; i += clients {
				if err := call(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(total) / elapsed.Seconds()
}

func reportPercentiles(b *testing.B, lat []time.Duration, what ...string) {
	slices.Sort(lat)
	suffix := ""
	if len(what) > 0 {
		suffix = "-" + what[0]
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms"+suffix)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms"+suffix)
}

// seedRoutes fills a namespace with n routes straight through the store.
func (e *env) seedRoutes(b *testing.B, ns string, n int) {
	const batch = 1000
	for done := 0; done < n; done += batch {
		ops := make([]store.Op, 0, batch)
		for i := done; i < min(n, done+batch); i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: fmt.Sprintf("seed-%06d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://seed-%d.example.com", i), To: []string{"https://upstream.internal"}}}})
		}
		if _, err := e.store.Apply(e.ctx, store.Actor{Subject: "bench", Origin: store.OriginImport}, ops...); err != nil {
			b.Fatal(err)
		}
	}
}

// seenRoute is a route record and when the watcher received it.
type seenRoute struct {
	route *configpb.Route
	at    time.Time
}

// watchRoutes streams the route records the databroker stores to a channel.
func watchRoutes(b *testing.B, broker dbpb.DataBrokerServiceClient) <-chan seenRoute {
	ctx := b.Context()
	latest, err := broker.SyncLatest(ctx, &dbpb.SyncLatestRequest{Type: compile.RecordTypeRoute})
	if err != nil {
		b.Fatal(err)
	}
	var serverVersion, recordVersion uint64
	for {
		res, err := latest.Recv()
		if err != nil {
			break
		}
		if v := res.GetVersions(); v != nil {
			serverVersion, recordVersion = v.ServerVersion, v.LatestRecordVersion
		}
	}
	stream, err := broker.Sync(ctx, &dbpb.SyncRequest{Type: compile.RecordTypeRoute, ServerVersion: serverVersion, RecordVersion: recordVersion})
	if err != nil {
		b.Fatal(err)
	}
	out := make(chan seenRoute, 1024)
	go func() {
		for {
			res, err := stream.Recv()
			if err != nil {
				return
			}
			at := time.Now()
			var r configpb.Route
			if res.GetRecord().GetData().UnmarshalTo(&r) == nil {
				out <- seenRoute{&r, at}
			}
		}
	}()
	return out
}

// waitSeen waits for the record with to and returns when it was received.
func waitSeen(b *testing.B, seen <-chan seenRoute, to string) time.Time {
	deadline := time.After(time.Minute)
	for {
		select {
		case r := <-seen:
			if slices.Equal(r.route.To, []string{to}) {
				return r.at
			}
		case <-deadline:
			b.Fatalf("record with to %s not seen within a minute", to)
		}
	}
}

package storetest

import (
	"fmt"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// Benchmarks measures one backend: single-object writes and the full Load the
// reconcile loop does at start. open returns a fresh, empty store; it owns
// closing it (e.g. with b.Cleanup).
func Benchmarks(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("PutRoute", func(b *testing.B) { benchPutRoute(b, open(b)) })
	b.Run("Load100kRoutes", func(b *testing.B) { benchLoad(b, open(b), 100_000, 100) })
}

// benchPutRoute upserts routes one Apply at a time, cycling over a fixed set
// so that the table does not grow with b.N and each write is an update.
func benchPutRoute(b *testing.B, s store.Store) {
	ctx := b.Context()
	const pool = 100
	routes := make([]*store.Route, pool)
	for i := range routes {
		r, err := store.Put(ctx, s, apiActor, newRoute(store.GlobalNamespaceID, fmt.Sprintf("route-%d", i), fmt.Sprintf("https://r%d.example.com", i)), 0)
		if err != nil {
			b.Fatalf("seed route: %v", err)
		}
		routes[i] = r
	}
	var writes int
	for b.Loop() {
		r := routes[writes%pool]
		r.Spec.Description = new(fmt.Sprintf("write %d", writes))
		if _, err := store.Put(ctx, s, apiActor, r, 0); err != nil {
			b.Fatalf("put route: %v", err)
		}
		writes++
	}
	b.ReportMetric(float64(writes)/b.Elapsed().Seconds(), "writes/s")
}

// benchLoad seeds routes across namespaces outside the timer, then times Load.
func benchLoad(b *testing.B, s store.Store, routes, namespaces int) {
	ctx := b.Context()
	const batch = 1000
	nsIDs := make([]string, namespaces)
	var ops []store.Op
	for i := range nsIDs {
		ops = append(ops, &store.PutOp{Object: newNamespace(store.GlobalNamespaceID, fmt.Sprintf("ns-%d", i))})
	}
	objs, err := s.Apply(ctx, apiActor, ops...)
	if err != nil {
		b.Fatalf("seed namespaces: %v", err)
	}
	for i, o := range objs {
		nsIDs[i] = o.GetObjectMeta().ID
	}
	for start := 0; start < routes; start += batch {
		ops = ops[:0]
		for i := start; i < min(start+batch, routes); i++ {
			r := newRoute(nsIDs[i%namespaces], fmt.Sprintf("route-%d", i), fmt.Sprintf("https://r%d.example.com", i))
			r.Spec.Prefix = fmt.Sprintf("/app/%d", i)
			ops = append(ops, &store.PutOp{Object: r})
		}
		if _, err := s.Apply(ctx, apiActor, ops...); err != nil {
			b.Fatalf("seed routes %d..%d: %v", start, start+len(ops), err)
		}
	}
	var loads int
	for b.Loop() {
		st, err := s.Load(ctx)
		if err != nil {
			b.Fatalf("load: %v", err)
		}
		if len(st.Routes) != routes {
			b.Fatalf("load returned %d routes, want %d", len(st.Routes), routes)
		}
		loads++
	}
	perLoad := b.Elapsed().Seconds() / float64(loads)
	b.ReportMetric(perLoad, "s/load")
	b.ReportMetric(float64(routes)/perLoad, "routes/s")
}

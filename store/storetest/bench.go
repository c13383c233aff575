package storetest

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

var listRoutes = flag.Int("list-routes", 100_000, "routes the store's list benchmark seeds")

// Benchmarks measures one backend: single-object writes, the full Load the
// reconcile loop does at start, and pages of lists. open returns a fresh,
// empty store; it owns closing it (e.g. with b.Cleanup).
func Benchmarks(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("PutRoute", func(b *testing.B) { benchPutRoute(b, open(b)) })
	b.Run("Load100kRoutes", func(b *testing.B) { benchLoad(b, open(b), 100_000, 100) })
	b.Run("List", func(b *testing.B) { benchList(b, open(b), *listRoutes, 100) })
	b.Run("StatusChange/handed", func(b *testing.B) { benchStatusChange(b, open(b), false) })
	b.Run("StatusChange/by-key", func(b *testing.B) { benchStatusChange(b, open(b), true) })
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
	seedRoutes(b, s, routes, namespaces)
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

// benchList seeds routes across namespaces below one, then times pages of
// 50 with their totals as the APIs and the web console ask for them: in
// every namespace (ConfigService without a filter), in one namespace, and
// in one namespace with those below it; first, middle (the slowest) and
// last pages; pages in time and version orders; and the first page of
// searches.
func benchList(b *testing.B, s store.Store, routes, namespaces int) {
	if routes < 50*namespaces {
		b.Fatalf("-list-routes %d: at least %d, 50 to each of %d namespaces", routes, 50*namespaces, namespaces)
	}
	start := time.Now()
	nsIDs := seedRoutes(b, s, routes, namespaces)
	b.Logf("seeded %d routes in %s", routes, time.Since(start).Round(time.Millisecond))
	Settle(b, s)
	inOne := (routes + namespaces - 1) / namespaces
	one := routes/2 + 7
	// upTo is how far the web console counts a search (ui.CountUpTo).
	const upTo = 10_000
	for _, c := range []struct {
		name  string
		q     store.ListQuery
		total int
	}{
		{"everywhere-first", store.ListQuery{Limit: 50}, routes},
		{"everywhere-middle", store.ListQuery{Limit: 50, Offset: routes / 2}, routes},
		{"everywhere-last", store.ListQuery{Limit: 50, Offset: routes - 50}, routes},
		{"namespace-first", store.ListQuery{NamespaceID: nsIDs[0], Limit: 50}, inOne},
		{"namespace-last", store.ListQuery{NamespaceID: nsIDs[0], Limit: 50, Offset: inOne - 50}, inOne},
		{"below-global-first", store.ListQuery{NamespaceID: store.GlobalNamespaceID, Recursive: true, Limit: 50}, routes},
		// Newest and most recently modified first, in every namespace and
		// in one.
		{"everywhere-newest", store.ListQuery{Limit: 50, OrderBy: "-created_at"}, routes},
		{"everywhere-recently-modified", store.ListQuery{Limit: 50, OrderBy: "-modified_at"}, routes},
		{"namespace-newest", store.ListQuery{NamespaceID: nsIDs[0], Limit: 50, OrderBy: "-created_at"}, inOne},
		{"namespace-recently-modified-middle", store.ListQuery{NamespaceID: nsIDs[0], Limit: 50, Offset: inOne / 2, OrderBy: "-modified_at"}, inOne},
		// Latest version first (the APIs' version order), in every
		// namespace and in one.
		{"everywhere-latest-version", store.ListQuery{Limit: 50, OrderBy: "-version"}, routes},
		{"namespace-latest-version-middle", store.ListQuery{NamespaceID: nsIDs[0], Limit: 50, Offset: inOne / 2, OrderBy: "-version"}, inOne},
		// Searches: one route's from, in every namespace and in its own;
		// a name some routes hold (route-1234, route-12340 ...); and a
		// text every route holds.
		{"search-one", store.ListQuery{Limit: 50, Query: fmt.Sprintf("r%d.example", one)}, 1},
		{"search-one-namespace", store.ListQuery{NamespaceID: nsIDs[one%namespaces], Limit: 50, Query: fmt.Sprintf("r%d.example", one)}, 1},
		{"search-some", store.ListQuery{Limit: 50, Query: "route-1234"}, namedWith(routes, "1234")},
		{"search-every-route", store.ListQuery{Limit: 50, Query: "example.com"}, routes},
		// The same searches counted up to 10,000, as the web console asks
		// for them, and texts a tenth and a hundredth of the routes hold,
		// spread evenly over every order.
		{"search-some-up-to", store.ListQuery{Limit: 50, Query: "route-1234", CountUpTo: upTo}, namedWith(routes, "1234")},
		{"search-tenth-up-to", store.ListQuery{Limit: 50, Query: "7.example", CountUpTo: upTo}, numberedEndingWith(routes, "7")},
		{"search-hundredth-up-to", store.ListQuery{Limit: 50, Query: "77.example", CountUpTo: upTo}, numberedEndingWith(routes, "77")},
		{"search-every-route-up-to", store.ListQuery{Limit: 50, Query: "example.com", CountUpTo: upTo}, routes},
	} {
		b.Run(c.name, func(b *testing.B) {
			total, more := c.total, false
			if c.q.CountUpTo > 0 && total > c.q.CountUpTo {
				total, more = c.q.CountUpTo, true
			}
			for b.Loop() {
				res, err := s.List(b.Context(), store.KindRoute, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if res.TotalCount != total || res.More != more || len(res.Objects) != min(50, c.total) {
					b.Fatalf("listed %d routes of %d (more: %v), want %d of %d (more: %v)", len(res.Objects), res.TotalCount, res.More, min(50, c.total), total, more)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/page")
		})
	}
}

// namedWith counts the routes seedRoutes names route-N with N in decimal
// starting with digits.
func namedWith(routes int, digits string) int {
	return numbered(routes, func(n string) bool { return strings.HasPrefix(n, digits) })
}

// numberedEndingWith counts the routes seedRoutes numbers N with N in
// decimal ending with digits.
func numberedEndingWith(routes int, digits string) int {
	return numbered(routes, func(n string) bool { return strings.HasSuffix(n, digits) })
}

// numbered counts the routes seedRoutes numbers N with N in decimal
// accepted by keep.
func numbered(routes int, keep func(string) bool) int {
	n := 0
	for i := range routes {
		if keep(strconv.Itoa(i)) {
			n++
		}
	}
	return n
}

// Settle finishes the work that s leaves for when writes pause, if it has
// any (the embedded store merges its search index then), so that a
// benchmark seeding s times it as it is then, not beside that work.
func Settle(b *testing.B, s store.Store) {
	settler, ok := s.(interface{ Settle(context.Context) error })
	if !ok {
		return
	}
	start := time.Now()
	if err := settler.Settle(b.Context()); err != nil {
		b.Fatalf("settle the store: %v", err)
	}
	b.Logf("settled in %s", time.Since(start).Round(time.Millisecond))
}

// seedRoutes writes namespaces below Global and routes spread over them,
// 1,000 to a transaction, and returns the namespaces' ids.
func seedRoutes(b *testing.B, s store.Store, routes, namespaces int) []string {
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
	return nsIDs
}

// benchStatusChange seeds statuses of 100,000 routes outside the timer,
// then times a change of 12,100 of them (a team's routes, each record
// written again) in transactions of 500, as the reconcile loop writes
// them: in the order they were handed over, or in the order of their keys.
func benchStatusChange(b *testing.B, s store.Store, byKey bool) {
	ctx := b.Context()
	const objects, changed, batch = 100_000, 12_100, 500
	statuses := make([]store.ObjectStatus, objects)
	for i := range statuses {
		statuses[i] = store.ObjectStatus{Kind: store.KindRoute, ID: uuid.NewString(), State: store.SyncSynced, ObjectVersion: int64(i + 1), RecordVersion: uint64(i + 1), UpdatedAt: time.Now()}
	}
	write := func(ss []store.ObjectStatus) {
		for start := 0; start < len(ss); start += batch {
			if err := s.SetStatus(ctx, ss[start:min(start+batch, len(ss))]); err != nil {
				b.Fatalf("set status: %v", err)
			}
		}
	}
	write(statuses)
	team := slices.Clone(statuses[:changed])
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(team), func(i, j int) { team[i], team[j] = team[j], team[i] })
	if byKey {
		slices.SortFunc(team, func(a, b store.ObjectStatus) int { return strings.Compare(a.ID, b.ID) })
	}
	version := uint64(objects)
	for b.Loop() {
		for i := range team {
			version++
			team[i].RecordVersion, team[i].UpdatedAt = version, time.Now()
		}
		write(team)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/change")
}

package web_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var (
	benchRoutes = flag.Int("routes", 100_000, "routes BenchmarkPages seeds into one namespace")
	benchStore  = flag.String("store", "postgres", "the store BenchmarkPages seeds: postgres or embedded")
)

// BenchmarkPages measures the server time of every screen with 100,000
// routes in one namespace, all using one policy (the worst case of the
// policy's pages), and the 100,000 activity log entries of their creation:
// each page as ms/op, each to stay under 100 ms. Seeding takes about a
// minute; run it alone:
//
//	go test ./server/web/ -run '^$' -bench Pages -benchtime 20x
//
// (append -args -routes N to seed another number of routes, -store
// embedded to measure the embedded store instead of PostgreSQL.)
func BenchmarkPages(b *testing.B) {
	ctx := b.Context()
	var st store.Store
	var dbURL string
	switch *benchStore {
	case "postgres":
		dbURL = srv.NewTestDatabase(b)
		st = webtest.PostgresAt(b, dbURL)
	case "embedded":
		st = webtest.Embedded(b)
	default:
		b.Fatalf("-store %q: postgres or embedded", *benchStore)
	}
	actor := store.Actor{Subject: "bench", Origin: store.OriginImport}
	ns, err := store.Put(ctx, st, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Bench"}}, 0)
	if err != nil {
		b.Fatal(err)
	}
	pol, err := store.Put(ctx, st, actor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "everyone"},
		PPL: "allow:\n  or:\n    - authenticated_user: true\n"}, 0)
	if err != nil {
		b.Fatal(err)
	}
	n := *benchRoutes
	start := time.Now()
	var some string
	const batch = 1000
	for done := 0; done < n; done += batch {
		ops := make([]store.Op, 0, batch)
		for i := done; i < min(n, done+batch); i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: fmt.Sprintf("seed-%06d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://seed-%d.example.com", i), To: []string{"https://upstream.internal"}, PolicyIds: []string{pol.ID}}}})
		}
		written, err := st.Apply(ctx, actor, ops...)
		if err != nil {
			b.Fatal(err)
		}
		some = written[0].GetObjectMeta().ID
	}
	b.Logf("seeded %d routes in %s", n, time.Since(start).Round(time.Millisecond))
	if dbURL != "" {
		analyze(b, dbURL)
	}
	storetest.Settle(b, st)
	e := webtest.New(b, st, webtest.Options{})
	assertion := e.Assertion(webtest.Admin)
	deep := max(n-ui.DefaultLimit, 0)
	for _, p := range []struct{ name, path string }{
		{"namespaces", "/namespaces"},
		{"namespace", "/namespaces/" + ns.ID},
		{"routes-first-page", "/routes?namespace=" + ns.ID},
		{"routes-deep-page", fmt.Sprintf("/routes?namespace=%s&offset=%d", ns.ID, deep)},
		{"routes-newest", "/routes?namespace=" + ns.ID + "&order=-created_at"},
		{"routes-recently-modified", "/routes?namespace=" + ns.ID + "&order=-modified_at"},
		{"routes-search", "/routes?namespace=" + ns.ID + "&q=" + url.QueryEscape(fmt.Sprintf("seed-%06d", n/2))},
		// Searches every route, a tenth and a hundredth of them match,
		// spread over the list: the screen counts them up to ui.CountUpTo.
		{"routes-search-every-route", "/routes?namespace=" + ns.ID + "&q=example.com"},
		{"routes-search-tenth", "/routes?namespace=" + ns.ID + "&q=7.example"},
		{"routes-search-hundredth", "/routes?namespace=" + ns.ID + "&q=77.example"},
		{"route", "/routes/" + some},
		{"policies", "/policies?namespace=" + ns.ID},
		{"policy", "/policies/" + pol.ID},
		{"policy-routes", "/policies/" + pol.ID + "?tab=routes"},
		{"activity", "/activity"},
		{"activity-route", "/activity?entity_type=route&namespace=" + ns.ID},
		{"status", "/status"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, p.path, nil)
				req.Header.Set(auth.AssertionHeader, assertion)
				e.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: status %d: %.500s", p.path, rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}

// analyze does what autovacuum does in production after a bulk load:
// without statistics the planner sorts the whole namespace for every page
// instead of reading the name index, and the benchmark would measure a
// database that nobody runs.
func analyze(b *testing.B, dbURL string) {
	b.Helper()
	conn, err := pgx.Connect(b.Context(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	if _, err := conn.Exec(b.Context(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

package routes_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/routes"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

var benchRoutes = flag.Int("routes", 100_000, "routes BenchmarkRoutesPage seeds into one namespace")

// BenchmarkRoutesPage measures the server time of the routes list with
// 100,000 routes in one namespace: the first page, a deep page, a search
// and the next page of a search, each as ms/op. The page must stay under
// 100 ms. Seeding takes about a minute; run it alone, once:
//
//	go test ./server/web/routes/ -run '^$' -bench RoutesPage -benchtime 20x
//
// (append -args -routes N to seed another number of routes.)
func BenchmarkRoutesPage(b *testing.B) {
	ctx := b.Context()
	dbURL := srv.NewTestDatabase(b)
	st, err := postgres.Open(ctx, postgres.Options{URL: dbURL, EncryptionKey: make([]byte, 32), Logger: logr.Discard(), MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := st.Close(); err != nil {
			b.Errorf("close store: %v", err)
		}
	})
	ns, err := store.Put(ctx, st, testActor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Bench"}}, 0)
	if err != nil {
		b.Fatal(err)
	}
	n := *benchRoutes
	start := time.Now()
	seedRoutes(b, st, ns.ID, n)
	b.Logf("seeded %d routes in %s", n, time.Since(start).Round(time.Millisecond))
	analyze(b, dbURL)
	e := webtest.New(b, st, webtest.Options{Screens: []web.Screen{routes.Register}})
	handler, assertion := e.Handler, e.Assertion(webtest.Admin)
	deep := max(n-ui.DefaultLimit, 0)
	pages := []struct{ name, query string }{
		{"first-page", ""},
		{"deep-page", fmt.Sprintf("offset=%d", deep)},
		{"search", "q=" + url.QueryEscape(fmt.Sprintf("seed-%06d", n/2))},
		{"search-page-2", "q=seed-0&offset=50"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			target := "/routes?namespace=" + ns.ID + "&" + p.query
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, target, nil)
				req.Header.Set(auth.AssertionHeader, assertion)
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: status %d: %s", target, rec.Code, rec.Body.String())
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

// seedRoutes fills a namespace with n routes straight through the store,
// a thousand a transaction.
func seedRoutes(b *testing.B, st store.Store, ns string, n int) {
	b.Helper()
	const batch = 1000
	for done := 0; done < n; done += batch {
		ops := make([]store.Op, 0, batch)
		for i := done; i < min(n, done+batch); i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: fmt.Sprintf("seed-%06d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://seed-%d.example.com", i), To: []string{"https://upstream.internal"}}}})
		}
		if _, err := st.Apply(b.Context(), store.Actor{Subject: "bench", Origin: store.OriginImport}, ops...); err != nil {
			b.Fatal(err)
		}
	}
}

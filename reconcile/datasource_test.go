package reconcile_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestLoopFetchesDataSourcesWhileItLeads runs a loop with data sources on,
// against the embedded databroker and Pomerium's own: the one that holds
// the writer lease fetches them into its databroker, beside the records of
// desired state, and deletes their records when they go.
func TestLoopFetchesDataSourcesWhileItLeads(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			_, _ = w.Write([]byte("id,email\nu1,a@example.com\nu2,b@example.com\n")) // a client gone is the test's business
		}))
		t.Cleanup(srv.Close)
		fetcher := datasource.NewFetcher(datasource.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}), datasource.Limits{})
		l := reconcile.New(reconcile.Options{Store: e.store, Client: e.dial(), Instance: "a", DataSources: fetcher,
			LeaseRetry: 50 * time.Millisecond, RetryBackoff: 50 * time.Millisecond, Logger: testr.New(t)})
		ctx, cancel := context.WithCancel(e.ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := l.Run(ctx); err != nil {
				t.Errorf("loop: %v", err)
			}
		})
		t.Cleanup(func() { cancel(); wg.Wait() })
		d := e.put(&store.DataSource{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID},
			URL: srv.URL, RecordType: "pomerium.io/DirectoryUser", ForeignKey: "id"})
		e.eventually("the data source's records", func() bool { return len(e.records("pomerium.io/DirectoryUser")) == 2 })
		if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindDataSource, ID: d.GetObjectMeta().ID}); err != nil {
			t.Fatal(err)
		}
		e.eventually("the data source's records gone", func() bool {
			got := e.records("pomerium.io/DirectoryUser")
			return got != nil && len(got) == 0
		})
	})
}

package datasource

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestRunFollowsTheStore runs the runner as the reconcile loop does: data
// sources added, changed and removed in the store are fetched, refetched
// and cleaned up without a restart.
func TestRunFollowsTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, loopback, Limits{})
	srv := newServer(t)
	srv.serve(http.StatusOK, "application/json", usersJSON)
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := e.runner.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	d := e.addSource(srv.URL, "example.com/User", "id")
	e.eventually("the source's records", func() bool { return len(e.records("example.com/User")) == 2 })
	srv.serve(http.StatusOK, "application/json", `[{"id": "only"}]`)
	d.ForeignKey = "id" // a change of the source fetches it again at once
	d.PollingMaxDelay = 0
	d.AllowInsecureTLS = new(true)
	if _, err := store.Put(e.ctx, e.store, actor, d, 0); err != nil {
		t.Fatal(err)
	}
	e.eventually("the changed source's records", func() bool { return len(e.records("example.com/User")) == 1 })
	e.eventually("the status", func() bool {
		all, err := e.store.DataSourceStatuses(e.ctx)
		return err == nil && all[d.ID].Records == 1
	})
	if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindDataSource, ID: d.ID}); err != nil {
		t.Fatal(err)
	}
	e.eventually("the removed source's records gone", func() bool { return len(e.records("example.com/User")) == 0 })
	e.eventually("the status gone", func() bool {
		all, err := e.store.DataSourceStatuses(e.ctx)
		return err == nil && len(all) == 0
	})
}

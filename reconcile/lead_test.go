package reconcile_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// TestLeadWaitsForItsWatchers ends lead after lead and checks each time that
// no Sync watcher outlives the lead that started it: one that did would go
// on following the databroker beside the watchers of the next lead. One end
// could miss a watcher that exits just in time; ten do not.
func TestLeadWaitsForItsWatchers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := reconcile.New(reconcile.Options{Store: e.store, Client: e.dial(), Instance: "a", Logger: testr.New(t)})
	for i := range 10 {
		ctx, cancel := context.WithCancel(e.ctx)
		ended := make(chan error, 1)
		go func() { ended <- l.Lead(ctx) }()
		e.eventually("every watcher running", func() bool { return l.Watchers() == len(compile.RecordTypes) })
		cancel()
		select {
		case err := <-ended:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("lead %d ended with %v, want it cancelled", i, err)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("lead %d still running 15 s after it was cancelled", i)
		}
		if n := l.Watchers(); n != 0 {
			t.Fatalf("%d watchers still running after lead %d returned", n, i)
		}
	}
}


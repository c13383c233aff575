package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
)

// coldRoutes is the size of the cold reconcile the writer is killed in:
// 30,000 routes, so that the scenario stays under a minute and a half on
// 2 shared cores; POMERIUM_CONSOLE_FAULTS_ROUTES sets another. Seeding the
// store takes most of the time: with other work on the machine, 50,000
// routes took 88-123 s in all and 100,000 about two minutes and more.
func coldRoutes(t *testing.T) int {
	n := 30_000
	if s := os.Getenv("POMERIUM_CONSOLE_FAULTS_ROUTES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			t.Fatalf("POMERIUM_CONSOLE_FAULTS_ROUTES=%q: want a number of routes, at least 1000", s)
		}
	}
	return n
}

// TestWriterKilledMidColdReconcile kills serve (SIGKILL: its lease is not
// released) while its first reconcile of a large store is between two
// Puts, and starts it again: the new process takes the writer lease once
// the dead one's expires and converges on exactly the compiled records,
// and every route the API acknowledged around the kill is in the store.
// It measures the resume time: from the kill to the new process holding
// the lease and writing.
func TestWriterKilledMidColdReconcile(t *testing.T) {
	t.Parallel()
	n := coldRoutes(t)
	data := filepath.Join(t.TempDir(), "data")
	st := openStore(t, data)
	began := time.Now()
	seed(t, st, n)
	t.Logf("seeded %d routes in %v", n, time.Since(began).Round(time.Millisecond))

	b := startBroker(t)
	observer := b.client(t)
	c := embeddedConsole(t, "writer", data, b.addr, b)
	c.start()
	writes := newLedger()
	ctx, stopWriting := context.WithCancel(t.Context())
	var writers sync.WaitGroup
	routes := dashboardpb.NewRouteServiceClient(c.dial(c.adminToken()))
	writers.Go(func() { writeRoutes(ctx, routes, "before", writes) })

	// Kill it between two Puts: once the databroker holds some of the
	// routes and not all.
	var seen int64
	wait.Until(t, "the cold reconcile to have written some routes", time.Minute, func() (bool, string) {
		got, err := countRoutes(t.Context(), observer)
		seen = got
		return err == nil && got > 0, fmt.Sprintf("%d routes (%v)", got, err)
	})
	c.kill()
	killed := time.Now()
	stopWriting()
	writers.Wait()
	atKill, err := countRoutes(t.Context(), observer)
	if err != nil {
		t.Fatal(err)
	}
	if atKill >= int64(n) {
		t.Fatalf("the databroker held all %d routes by the kill: the kill did not land mid-reconcile", atKill)
	}
	t.Logf("killed with %d of %d routes written (%d seen just before)", atKill, n, seen)

	c.start()
	ready := time.Now()
	ctx, stopWriting = context.WithCancel(t.Context())
	routes = dashboardpb.NewRouteServiceClient(c.dial(c.adminToken()))
	writers.Go(func() { writeRoutes(ctx, routes, "after", writes) })
	var leased, writing time.Time
	wait.Until(t, "the restarted serve to hold the lease and write", 30*time.Second, func() (bool, string) {
		if leased.IsZero() && c.leaseHeld() {
			leased = time.Now()
		}
		got, err := countRoutes(t.Context(), observer)
		if !leased.IsZero() && err == nil && got > atKill {
			writing = time.Now()
			return true, ""
		}
		return false, fmt.Sprintf("lease held: %v, %d routes (%v)", !leased.IsZero(), got, err)
	})
	resume := writing.Sub(killed)
	t.Logf("resume: lease held %v and writing %v after the kill (serve ready %v after it)",
		leased.Sub(killed).Round(time.Millisecond), resume.Round(time.Millisecond), ready.Sub(killed).Round(time.Millisecond))
	if resume > 15*time.Second {
		t.Errorf("resumed %v after the kill, want within 15 s", resume)
	}
	before := writes.acknowledged()
	wait.For(t, "a write acknowledged after the restart", 30*time.Second, func() bool { return writes.acknowledged() > before })
	stopWriting()
	writers.Wait()
	wait.Until(t, "every seeded route in the databroker", time.Minute, func() (bool, string) {
		got, err := countRoutes(t.Context(), observer)
		return err == nil && got >= int64(n), fmt.Sprintf("%d routes (%v)", got, err)
	})
	t.Logf("the databroker held every seeded route %v after the kill", time.Since(killed).Round(time.Millisecond))
	waitInSync(t, c, st, time.Minute)
	t.Logf("serve in sync with the store %v after the kill", time.Since(killed).Round(time.Millisecond))
	wait.Until(t, "the databroker to hold exactly the compiled records", 90*time.Second, func() (bool, string) {
		return converged(t.Context(), st, observer)
	})
	t.Logf("converged (checked) %v after the kill", time.Since(killed).Round(time.Millisecond))
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	writes.holds(t, st)
	if ok, diff := converged(t.Context(), st, observer); !ok {
		t.Errorf("after serve stopped: %s", diff)
	}
}

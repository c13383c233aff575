package faults

import (
	"fmt"
	"testing"
	"time"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// Two consoles share one database and one databroker; the one that holds
// the writer lease is killed (SIGKILL: it releases nothing) while 16
// clients write through both. Its clients turn to the other console and
// send their requests again under their keys. Takeover is the time from
// the kill until the other console holds the lease and the databroker
// has a route created after the kill; the invariants hold as for any
// other fault.
func TestLeaderKilledUnderWriteLoad(t *testing.T) {
	const (
		clients  = 16
		duration = 25 * time.Second
		killAt   = 5 * time.Second
	)
	pomerium.Exclusive(t)
	db := newDatabase(t)
	replicas := []*console{startConsole(t, "a", db), startConsole(t, "b", db)}
	token := replicas[0].adminToken()
	var leader int
	wait.Until(t, "one console holds the writer lease", 30*time.Second, func() (bool, string) {
		held := 0
		for i, c := range replicas {
			if c.leaseHeld() {
				leader, held = i, held+1
			}
		}
		return held == 1, fmt.Sprintf("%d consoles hold the lease", held)
	})
	standby := 1 - leader
	// Client i starts on replicas[i%2]: writes go through both.
	load := newWriteLoad(t, time.Now().Add(duration+30*time.Second), replicas[0].dial(token), replicas[1].dial(token))
	start := time.Now()
	finished := load.run(t.Context(), clients, start.Add(duration))

	waitUntil(t, start.Add(killAt))
	killed := time.Now()
	replicas[leader].kill()
	load.create(t.Context(), "after-the-kill", standby)
	id := load.ackedID("after-the-kill")
	if id == "" {
		t.Fatal("the route written after the kill was not acknowledged")
	}
	broker := pomerium.Dial(t)
	var leased, written time.Duration
	wait.Until(t, "the standby holds the lease and the databroker the route written after the kill", time.Minute, func() (bool, string) {
		if leased == 0 && replicas[standby].leaseHeld() {
			leased = time.Since(killed)
		}
		if written == 0 {
			res, err := broker.RPC().Get(t.Context(), &dbpb.GetRequest{Type: compile.RecordTypeRoute, Id: id})
			if err == nil && res.GetRecord().GetDeletedAt() == nil {
				written = time.Since(killed)
			}
		}
		return leased > 0 && written > 0, "lease taken: " + ms(leased) + ", route written: " + ms(written)
	})
	t.Logf("takeover: the standby held the lease %s and the databroker had the route written after the kill %s after the leader was killed",
		ms(leased), ms(written))

	load.settle(finished, db.open(t), broker)
}

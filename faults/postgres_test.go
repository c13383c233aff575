package faults

import (
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/wait"
)

// PostgreSQL goes away twice while 16 clients create routes for 30 s: a
// fast restart (SIGINT: backends are told to end, the server checkpoints)
// and an immediate one (SIGQUIT: backends die at once, the server recovers
// from its log, as after a crash). Clients are told Unavailable while it
// is gone, never Internal, and send the request again under its key; no
// acknowledged write is lost, no refused one is stored, none is stored
// twice, and the databroker ends equal to the compiled store.
func TestPostgresRestartsUnderWriteLoad(t *testing.T) {
	const (
		clients  = 16
		duration = 30 * time.Second
	)
	pomerium.Exclusive(t)
	db := newDatabase(t)
	c := startConsole(t, "console", db)
	token := c.adminToken()

	start := time.Now()
	stopAt := start.Add(duration)
	load := newWriteLoad(t, stopAt.Add(30*time.Second), c.dial(token))
	finished := load.run(t.Context(), clients, stopAt)

	for _, restart := range []struct {
		name  string
		after time.Duration
		do    func() error
	}{
		{"fast restart (SIGINT)", 8 * time.Second, func() error { return db.server.Restart(t.Context()) }},
		{"immediate restart (SIGQUIT)", 20 * time.Second, func() error { return db.server.RestartImmediate(t.Context()) }},
	} {
		waitUntil(t, start.Add(restart.after))
		at := time.Now()
		if err := restart.do(); err != nil {
			t.Fatalf("%s: %v", restart.name, err)
		}
		down := time.Since(at)
		back := time.Now()
		wait.For(t, "a write after the "+restart.name, 30*time.Second, func() bool { return load.ackedSince(back) })
		t.Logf("%s: PostgreSQL down for %s (the restart's own time); no write acknowledged for %s", restart.name, ms(down), ms(load.stall(at, back)))
	}
	load.settle(finished, db.open(t), pomerium.Dial(t))
}

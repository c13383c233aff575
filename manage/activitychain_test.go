package manage

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestChainWatchVerifiesIncrementally: each pass verifies what was
// appended since the last one, a change to an entry verified before is
// found, and repairing it is seen; the anchor logged is the verified head.
func TestChainWatchVerifiesIncrementally(t *testing.T) {
	t.Parallel()
	st, path := storetest.EmbeddedFile(t, make([]byte, 32))
	var logged bytes.Buffer
	log := funcr.New(func(prefix, args string) { fmt.Fprintln(&logged, prefix, args) }, funcr.Options{})
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	w := NewChainWatch(ChainWatchOptions{Store: st, Logger: log, Now: func() time.Time { return at }})
	f := &fixture{t: t, ctx: t.Context(), store: st}
	f.policy(store.GlobalNamespaceID, "one", false)

	first := w.Verify(t.Context())
	if first.Break != nil || first.Verified.Seq != 2 || !first.At.Equal(at) {
		t.Fatalf("first pass = %+v, want 2 entries verified at %s", first, at)
	}
	f.policy(store.GlobalNamespaceID, "two", false)
	second := w.Verify(t.Context())
	if second.Break != nil || second.Verified.Seq != 3 {
		t.Fatalf("second pass = %+v, want position 3", second)
	}
	w.Anchor(second)
	if want := "activity log anchor"; !bytes.Contains(logged.Bytes(), []byte(want)) || !bytes.Contains(logged.Bytes(), []byte(second.Verified.String())) {
		t.Fatalf("log lacks the anchor %s:\n%s", second.Verified, logged.String())
	}

	// The entry the watch stands on is changed behind the store's back.
	storetest.ExecFile(t, path, "UPDATE activity SET subject = $1 WHERE seq = 3", "mallory@example.com")
	broken := w.Verify(t.Context())
	if broken.Break == nil || broken.Break.Kind != store.BreakAltered || broken.Break.Seq != 3 || broken.Verified.Seq != 0 {
		t.Fatalf("pass after tampering = %+v, want position 3 altered", broken)
	}
	if again := w.Verify(t.Context()); again.Break == nil || again.Break.Seq != 3 {
		t.Fatalf("pass after a break = %+v, want the break again", again)
	}
	// Put back, the chain verifies again from the start.
	storetest.ExecFile(t, path, "UPDATE activity SET subject = $1 WHERE seq = 3", "test")
	if repaired := w.Verify(t.Context()); repaired.Break != nil || repaired.Verified.Seq != 3 {
		t.Fatalf("pass after the repair = %+v, want 3 verified", repaired)
	}
}

// TestChainWatchRunAnchors: Run verifies at once and logs anchors at its
// interval.
func TestChainWatchRunAnchors(t *testing.T) {
	t.Parallel()
	st := storetest.Embedded(t, make([]byte, 32))
	anchors := make(chan string, 16)
	log := funcr.New(func(_, args string) {
		if bytes.Contains([]byte(args), []byte(`"activity log anchor"`)) {
			select {
			case anchors <- args:
			default:
			}
		}
	}, funcr.Options{})
	w := NewChainWatch(ChainWatchOptions{Store: st, Logger: log, Every: time.Hour, AnchorEvery: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case line := <-anchors:
		if !bytes.Contains([]byte(line), []byte(`"seq"=1`)) {
			t.Errorf("anchor line %s, want position 1 (the Global namespace's entry)", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no anchor logged within 10 s")
	}
	if s := w.State(); s.Verified.Seq != 1 || s.Break != nil {
		t.Errorf("state = %+v, want position 1 verified", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

package manage

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
)

// ChainState is what the verification of the activity log's hash chain
// found last.
type ChainState struct {
	// Verified is the last position verified intact (the zero point before
	// the first verification, or when nothing before a break holds).
	Verified store.ChainPoint
	// At is when the last verification ended; zero before the first.
	At time.Time
	// Break is the first break found, nil while the chain is intact.
	Break *store.ChainBreak
	// Error is why the last verification could not read the log (the
	// verdict before it stands), empty when it could.
	Error string
}

// ChainWatchOptions configure a ChainWatch.
type ChainWatchOptions struct {
	Store store.History
	// Every is how often the chain is verified; 0 means a minute.
	Every time.Duration
	// AnchorEvery is how often the verified head is logged as an anchor
	// (a line an external log store keeps as a witness); 0 logs none.
	AnchorEvery time.Duration
	Logger      logr.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ChainWatch verifies the activity log's hash chain again and again, each
// time from where it stood (the entry verified last, checked again, and
// what was appended since), so that a pass costs what was written since
// the last one; and logs the verified head as an anchor now and then.
type ChainWatch struct {
	opts ChainWatchOptions

	mu    sync.Mutex
	state ChainState
}

// NewChainWatch returns a watch that verifies nothing until Run or Verify.
func NewChainWatch(opts ChainWatchOptions) *ChainWatch {
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &ChainWatch{opts: opts}
}

// State returns the last verdict.
func (w *ChainWatch) State() ChainState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// Verify verifies what was appended since the last pass (the whole chain
// the first time, and after a break from the last entry verified intact,
// so that a repaired log is seen as such) and returns the new state. A
// read error is in the state, which otherwise keeps the last verdict.
func (w *ChainWatch) Verify(ctx context.Context) ChainState {
	before := w.State()
	res, err := w.opts.Store.VerifyActivity(ctx, store.NewChainVerifier(before.Verified))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state.At = w.opts.Now()
	if err != nil {
		w.state.Error = err.Error()
		w.opts.Logger.Error(err, "verify the activity log")
		return w.state
	}
	w.state = ChainState{Verified: res.Verified, At: w.state.At, Break: res.Break}
	switch {
	case res.Break != nil && (before.Break == nil || before.Break.Detail != res.Break.Detail):
		w.opts.Logger.Error(res.Break, "the activity log's hash chain is broken", "kind", string(res.Break.Kind),
			"seq", res.Break.Seq, "entry", res.Break.EntryID, "verified", res.Verified.Seq)
	case res.Break == nil && before.Break != nil:
		w.opts.Logger.Info("the activity log's hash chain verifies again", "verified", res.Verified.Seq)
	}
	return w.state
}

// Run verifies at once and then every opts.Every, and logs an anchor every
// opts.AnchorEvery, until ctx ends.
func (w *ChainWatch) Run(ctx context.Context) error {
	verify := time.NewTicker(w.opts.Every)
	defer verify.Stop()
	var anchor <-chan time.Time
	if w.opts.AnchorEvery > 0 {
		t := time.NewTicker(w.opts.AnchorEvery)
		defer t.Stop()
		anchor = t.C
	}
	w.Verify(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-verify.C:
			w.Verify(ctx)
		case <-anchor:
			w.Anchor(w.Verify(ctx))
		}
	}
}

// Anchor logs the verified head of state as an anchor: a line to keep
// outside the console (its log store), which `activity verify --anchor`
// later checks the chain still passes through. A broken chain gives no
// anchor: the line says so instead.
func (w *ChainWatch) Anchor(state ChainState) {
	switch {
	case state.Break != nil:
		w.opts.Logger.Error(state.Break, "no activity log anchor: the hash chain is broken", "verified", state.Verified.Seq)
	case state.Verified.Seq == 0:
		w.opts.Logger.Info("no activity log anchor: the log is empty")
	default:
		w.opts.Logger.Info("activity log anchor", "anchor", state.Verified.String(), "seq", state.Verified.Seq,
			"entry", state.Verified.EntryID, "verified_at", state.At.UTC().Format(time.RFC3339))
	}
}

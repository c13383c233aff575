package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Options say what a Reporter shows.
type Options struct {
	// Terminal draws a bar on the bar writer while work goes on: set it
	// when that writer is a terminal. Without it nothing is shown until
	// Done.
	Terminal bool
	// Verbose writes the Item lines, one per object; without it they are
	// dropped.
	Verbose bool
}

// Reporter shows the progress of one command. Its methods are safe for
// concurrent use; a nil *Reporter shows nothing.
type Reporter struct {
	out, barOut io.Writer
	opts        Options

	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// New returns a Reporter that writes Item lines and the summary to out
// (standard output) and draws the bar on bar (standard error).
func New(out, bar io.Writer, opts Options) *Reporter {
	return &Reporter{out: out, barOut: bar, opts: opts}
}

// Bytes is the unit of a stage that counts bytes: the bar shows them in
// kB, MB and GB.
const Bytes = "bytes"

// Stage starts a stage of the work, e.g. ("writing", "routes", 1000000),
// and ends the previous one. A total below zero is unknown: the bar then
// counts without a percentage.
func (r *Reporter) Stage(name, unit string, total int64) {
	if r == nil || !r.opts.Terminal {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(r.barOut),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		// A million Adds must not mean a million redraws.
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	}
	if unit == Bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	r.bar = progressbar.NewOptions64(total, opts...)
}

// Add counts n more units of the current stage as done.
func (r *Reporter) Add(n int64) {
	if r == nil || !r.opts.Terminal {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		// The bar writes to a terminal; a failed redraw loses nothing
		// the summary does not say.
		_ = r.bar.Add64(n)
	}
}

// Item writes one line about one object, above the bar, when the user
// asked for them (Verbose).
func (r *Reporter) Item(format string, args ...any) error {
	if r == nil || !r.opts.Verbose {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		// The next Add draws the bar again, below the line.
		_ = r.bar.Clear()
	}
	_, err := fmt.Fprintf(r.out, format+"\n", args...)
	return err
}

// Done removes the bar and writes the summary: one line, whatever the
// output is. A summary of two lines calls it twice.
func (r *Reporter) Done(format string, args ...any) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	_, err := fmt.Fprintf(r.out, format+"\n", args...)
	return err
}

// Stop removes the bar and writes nothing: for a command that ends in an
// error, which says what happened.
func (r *Reporter) Stop() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
}

// clear removes the bar of the current stage, if any.
func (r *Reporter) clear() {
	if r.bar == nil {
		return
	}
	// Exit keeps the bar from drawing again; Clear wipes its line. Both
	// only write to the terminal, where a failure leaves a stale bar.
	_ = r.bar.Exit()
	_ = r.bar.Clear()
	r.bar = nil
}

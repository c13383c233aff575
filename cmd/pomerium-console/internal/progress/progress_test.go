package progress_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/cmd/pomerium-console/internal/progress"
)

// work is what a command does with a Reporter: two stages of 1,000 units,
// a line about each unit, and a summary.
func work(t *testing.T, r *progress.Reporter) {
	t.Helper()
	for _, stage := range []string{"planning", "writing"} {
		r.Stage(stage, "routes", 1000)
		for i := range 1000 {
			if err := r.Item("create    route      app%d.example.com", i); err != nil {
				t.Fatal(err)
			}
			r.Add(1)
		}
	}
	if err := r.Done("imported 1000 routes: 1000 created"); err != nil {
		t.Fatal(err)
	}
}

// TestSummaryOnly: off a terminal and without --verbose a command writes
// one line, whatever it did, and draws nothing.
func TestSummaryOnly(t *testing.T) {
	t.Parallel()
	var out, bar bytes.Buffer
	work(t, progress.New(&out, &bar, progress.Options{}))
	if got := out.String(); got != "imported 1000 routes: 1000 created\n" {
		t.Errorf("output %q, want the summary line alone", got)
	}
	if bar.Len() != 0 {
		t.Errorf("a bar was drawn off a terminal: %q", bar.String())
	}
}

// TestVerbose: --verbose adds a line per object, before the summary.
func TestVerbose(t *testing.T) {
	t.Parallel()
	var out, bar bytes.Buffer
	work(t, progress.New(&out, &bar, progress.Options{Verbose: true}))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2001 || lines[0] != "create    route      app0.example.com" || lines[2000] != "imported 1000 routes: 1000 created" {
		t.Errorf("%d lines, first %q, last %q: want 2,000 object lines and the summary", len(lines), lines[0], lines[len(lines)-1])
	}
	if bar.Len() != 0 {
		t.Errorf("a bar was drawn off a terminal: %q", bar.String())
	}
}

// TestBarOnTerminal: on a terminal the bar names each stage and counts its
// units, is wiped before the summary, and the output still gets the
// summary line alone.
func TestBarOnTerminal(t *testing.T) {
	t.Parallel()
	var out, bar bytes.Buffer
	work(t, progress.New(&out, &bar, progress.Options{Terminal: true}))
	if got := out.String(); got != "imported 1000 routes: 1000 created\n" {
		t.Errorf("output %q, want the summary line alone", got)
	}
	drawn := bar.String()
	for _, want := range []string{"planning", "writing", "(0/1000, "} {
		if !strings.Contains(drawn, want) {
			t.Errorf("the bar never showed %q: %q", want, drawn)
		}
	}
	if !strings.HasSuffix(drawn, "\r") || strings.Count(drawn, "\n") != 0 {
		t.Errorf("the bar is not wiped in place at the end: %q", drawn[max(0, len(drawn)-200):])
	}
}

// TestBarCounts: the bar shows how many units are done, redrawn at most
// ten times a second.
func TestBarCounts(t *testing.T) {
	t.Parallel()
	var out, bar syncBuffer
	r := progress.New(&out, &bar, progress.Options{Terminal: true})
	r.Stage("writing", "routes", 1_000_000)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(bar.String(), "/1000000, ") || strings.Contains(lastDraw(bar.String()), "(0/") {
		if time.Now().After(deadline) {
			t.Fatalf("the bar never counted: %q", bar.String())
		}
		r.Add(1)
	}
	if !strings.Contains(lastDraw(bar.String()), "routes/") {
		t.Errorf("the bar does not show the rate in routes: %q", lastDraw(bar.String()))
	}
}

// lastDraw is the last state of a bar's line.
func lastDraw(s string) string {
	parts := strings.Split(strings.TrimRight(s, "\r "), "\r")
	return parts[len(parts)-1]
}

// syncBuffer is a bytes.Buffer that the bar and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNilReporter: a command may hand a nil Reporter to code that reports.
func TestNilReporter(t *testing.T) {
	t.Parallel()
	var r *progress.Reporter
	r.Stage("planning", "routes", 1)
	r.Add(1)
	if err := r.Item("x"); err != nil {
		t.Fatal(err)
	}
	if err := r.Done("x"); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
)

// binary is the console built for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pomerium-console-load-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "pomerium-console")
	code := 1
	if err := consolebin.Build(binary); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir) // a temporary directory; nothing to do about it
	os.Exit(code)
}

// TestSoakMinute is the short soak CI runs: a minute of every kind of call
// over 10,000 routes, with no call failing, every acknowledged write
// arriving in Pomerium's databroker, and nothing growing beyond noise.
func TestSoakMinute(t *testing.T) {
	o := options{Binary: binary, Routes: 10000, Clients: 8, Duration: time.Minute, Soak: true, Sample: 5 * time.Second}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	rep, err := run(t.Context(), o, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	var out bytes.Buffer
	rep.print(&out)
	t.Log("\n" + out.String())
	if err := rep.failure(); err != nil {
		t.Fatal(err)
	}
	for _, m := range mix {
		if !strings.Contains(out.String(), m.name) {
			t.Errorf("no %s call was made", m.name)
		}
	}
	if len(rep.samples) < 6+rep.warmup {
		t.Errorf("%d samples, want at least six after the warm-up's %d", len(rep.samples), rep.warmup)
	}
}

// TestGrowthFindsALeak holds the soak's judgement to what it is for:
// memory that keeps growing under load fails, memory that moves within
// noise passes; goroutines or descriptors left behind at rest fail, a few
// more than before pass.
func TestGrowthFindsALeak(t *testing.T) {
	steady, leaking := make([]sample, 12), make([]sample, 12)
	for i := range steady {
		steady[i] = sample{rss: int64(300+10*(i%3)) << 20}
		leaking[i] = sample{rss: int64(300+20*i) << 20}
	}
	if grew, err := growth(steady); err != nil || len(grew) != 0 {
		t.Errorf("steady memory: %v %v, want no growth", grew, err)
	}
	if grew, err := growth(leaking); err != nil || len(grew) != 1 || !strings.Contains(grew[0], "resident memory") {
		t.Errorf("leaking memory: %q %v, want memory to grow", grew, err)
	}
	if _, err := growth(steady[:5]); err == nil {
		t.Error("five samples judged; want an error asking for six")
	}
	before := sample{goroutines: 80, fds: 40}
	if got := atRest(before, sample{goroutines: 90, fds: 45}); len(got) != 0 {
		t.Errorf("back at rest within the limits: %q, want nothing", got)
	}
	if got := atRest(before, sample{goroutines: 91, fds: 46}); len(got) != 2 {
		t.Errorf("one goroutine and one descriptor past the limits: %q, want both named", got)
	}
}

// TestBadFlags says which flag is wrong.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		o    options
		want string
	}{
		{options{Binary: binary, Routes: 0, Clients: 1, Duration: time.Second, Sample: time.Second}, "-routes 0"},
		{options{Binary: binary, Routes: 10, Clients: 20, Duration: time.Second, Sample: time.Second}, "per client"},
		{options{Binary: binary, Routes: 10, Clients: 1, Duration: 10 * time.Second, Sample: 5 * time.Second, Soak: true}, "fewer than six"},
		{options{Binary: binary, Routes: 10, Clients: 1, Duration: time.Second, Sample: time.Second, DatabaseURL: "postgres://x"}, "go together"},
		{options{Binary: filepath.Join(t.TempDir(), "missing"), Routes: 10, Clients: 1, Duration: time.Second, Sample: time.Second}, "-binary"},
	} {
		err := tc.o.check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error saying %q", tc.o, err, tc.want)
		}
	}
}

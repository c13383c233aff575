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

// TestGrowthFindsALeak holds the soak's judgement to what it is for: a
// series that keeps growing fails, one that moves within noise passes.
func TestGrowthFindsALeak(t *testing.T) {
	steady, leaking := make([]sample, 12), make([]sample, 12)
	for i := range steady {
		steady[i] = sample{rss: int64(300+10*(i%3)) << 20, goroutines: 80 + i%5, fds: 40}
		leaking[i] = sample{rss: int64(300+20*i) << 20, goroutines: 80 + 10*i, fds: 40 + 5*i}
	}
	if grew, err := growth(steady); err != nil || len(grew) != 0 {
		t.Errorf("steady series: %v %v, want no growth", grew, err)
	}
	grew, err := growth(leaking)
	if err != nil {
		t.Fatal(err)
	}
	if len(grew) != 3 {
		t.Errorf("leaking series: %q, want memory, goroutines and descriptors to grow", grew)
	}
	if _, err := growth(steady[:5]); err == nil {
		t.Error("five samples judged; want an error asking for six")
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

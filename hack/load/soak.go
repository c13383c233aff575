package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample is what a soak reads of serve at one moment.
type sample struct {
	at         time.Duration // since the load started
	rss        int64         // bytes
	goroutines int
	fds        int
	lagVersion float64 // store versions committed but not reconciled
}

// takeSample reads serve's resident memory and open descriptors from /proc
// and its goroutines and reconcile lag from its metrics.
func (w *world) takeSample(at time.Duration) (sample, error) {
	s := sample{at: at}
	pid := w.serve.Pid()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return s, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			s.rss = kb << 10
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	m, err := w.scrape()
	if err != nil {
		return s, err
	}
	s.goroutines = int(m["go_goroutines"])
	s.lagVersion = m["pomerium_console_reconcile_lag_versions"]
	return s, nil
}

func (s sample) String() string {
	return fmt.Sprintf("%6s  rss %7.1f MiB  goroutines %5d  fds %4d  lag %4.0f versions",
		s.at.Round(time.Second), float64(s.rss)/(1<<20), s.goroutines, s.fds, s.lagVersion)
}

// Growth beyond noise. Under load, goroutines and descriptors follow the
// calls in flight at the moment of a sample (from 90 to over 200 with 8
// clients), so they are judged at rest instead: once the clients have gone,
// serve must come back to what it had before they came, within a tenth or
// 10 goroutines and 5 descriptors, whichever is more. Resident memory is
// judged under load: the median of the last third of the samples against
// that of the first third, leaving out the warm-up; a Go heap's resident
// size moves with the collector's cycle by a good part of itself, so it may
// grow by a fifth or 64 MiB, whichever is more, before it counts.
const (
	rssGrowthFraction  = 0.20
	rssGrowthFloor     = 64 << 20
	restGrowthFraction = 0.10
	restGoroutines     = 10
	restDescriptors    = 5
	// restWithin bounds the wait for serve to come to rest: its side of
	// the closed connections ends within seconds.
	restWithin = 30 * time.Second
)

// growth checks the memory of samples taken after the warm-up and says
// whether it grew beyond noise; it needs six samples at least.
func growth(samples []sample) ([]string, error) {
	if len(samples) < 6 {
		return nil, fmt.Errorf("a soak needs six samples after its warm-up to compare, it has %d: run longer or sample more often", len(samples))
	}
	third := len(samples) / 3
	mib := func(s sample) float64 { return float64(s.rss) / (1 << 20) }
	a, b := median(samples[:third], mib), median(samples[len(samples)-third:], mib)
	if allowed := a + max(a*rssGrowthFraction, rssGrowthFloor>>20); b > allowed {
		return []string{fmt.Sprintf("resident memory grew from %.1f MiB to %.1f MiB (more than %.1f MiB allows)", a, b, allowed)}, nil
	}
	return nil, nil
}

// restLimits are the goroutines and descriptors serve may have at rest
// after a run that began with before.
func restLimits(before sample) (goroutines, fds int) {
	return before.goroutines + max(int(float64(before.goroutines)*restGrowthFraction), restGoroutines),
		before.fds + max(int(float64(before.fds)*restGrowthFraction), restDescriptors)
}

// atRest says what stayed above its limit in s, a sample of serve at rest.
func atRest(before, s sample) []string {
	g, f := restLimits(before)
	var problems []string
	if s.goroutines > g {
		problems = append(problems, fmt.Sprintf("goroutines at rest grew from %d to %d (more than %d allows)", before.goroutines, s.goroutines, g))
	}
	if s.fds > f {
		problems = append(problems, fmt.Sprintf("open descriptors at rest grew from %d to %d (more than %d allows)", before.fds, s.fds, f))
	}
	return problems
}

// rest samples serve every 200 ms until its goroutines and descriptors are
// back within their limits, or restWithin has passed, and returns the last
// sample and what stayed above its limit.
func (w *world) rest(ctx context.Context, before sample, at time.Duration) (sample, []string, error) {
	deadline := time.Now().Add(restWithin)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := w.takeSample(at)
		if err != nil {
			return s, nil, fmt.Errorf("sample serve: %w", err)
		}
		problems := atRest(before, s)
		if len(problems) == 0 || time.Now().After(deadline) {
			return s, problems, nil
		}
		select {
		case <-ctx.Done():
			return s, nil, ctx.Err()
		case <-tick.C:
		}
	}
}

func median(samples []sample, get func(sample) float64) float64 {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = get(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// seriesSummary is min, median and max of each series.
func seriesSummary(samples []sample) string {
	if len(samples) == 0 {
		return "no samples"
	}
	span := func(get func(sample) float64) (lo, mid, hi float64) {
		v := make([]float64, len(samples))
		for i, s := range samples {
			v[i] = get(s)
		}
		slices.Sort(v)
		return v[0], v[len(v)/2], v[len(v)-1]
	}
	rlo, rmid, rhi := span(func(s sample) float64 { return float64(s.rss) / (1 << 20) })
	glo, gmid, ghi := span(func(s sample) float64 { return float64(s.goroutines) })
	flo, fmid, fhi := span(func(s sample) float64 { return float64(s.fds) })
	return fmt.Sprintf("%d samples: rss %.0f/%.0f/%.0f MiB, goroutines %.0f/%.0f/%.0f, fds %.0f/%.0f/%.0f (min/median/max)",
		len(samples), rlo, rmid, rhi, glo, gmid, ghi, flo, fmid, fhi)
}

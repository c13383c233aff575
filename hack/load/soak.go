package main

import (
	"bufio"
	"bytes"
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

// Growth beyond noise. The soak compares the median of the last third of
// its samples with that of the first third, leaving out the warm-up: a Go
// heap's resident size moves with the collector's cycle by a good part of
// itself, so memory may grow by a fifth or 64 MiB, whichever is more,
// before it counts; goroutines and descriptors come and go with the
// clients' connections and calls in flight, so they may grow by a fifth or
// 20, whichever is more.
const (
	rssGrowthFraction   = 0.20
	rssGrowthFloor      = 64 << 20
	countGrowthFraction = 0.20
	countGrowthFloor    = 20
)

// growth checks samples taken after the warm-up and says what grew beyond
// noise; it needs six samples at least.
func growth(samples []sample) ([]string, error) {
	if len(samples) < 6 {
		return nil, fmt.Errorf("a soak needs six samples after its warm-up to compare, it has %d: run longer or sample more often", len(samples))
	}
	third := len(samples) / 3
	first, last := samples[:third], samples[len(samples)-third:]
	var problems []string
	check := func(what string, get func(sample) float64, fraction, floor float64, unit string) {
		a, b := median(first, get), median(last, get)
		if allowed := a + max(a*fraction, floor); b > allowed {
			problems = append(problems, fmt.Sprintf("%s grew from %.1f%s to %.1f%s (more than %.1f%s allows)", what, a, unit, b, unit, allowed, unit))
		}
	}
	check("resident memory", func(s sample) float64 { return float64(s.rss) / (1 << 20) }, rssGrowthFraction, rssGrowthFloor>>20, " MiB")
	check("goroutines", func(s sample) float64 { return float64(s.goroutines) }, countGrowthFraction, countGrowthFloor, "")
	check("open descriptors", func(s sample) float64 { return float64(s.fds) }, countGrowthFraction, countGrowthFloor, "")
	return problems, nil
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

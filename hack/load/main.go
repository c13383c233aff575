// Command load puts a console under the load of many API clients and,
// with -soak, watches it for leaks.
//
// It starts Pomerium's own databroker (from ../shared/pomerium-v0.33.0, or
// POMERIUM_CONSOLE_POMERIUM_DIR) and a serve process of the console built
// at -binary, over a fresh store seeded with -routes routes (the embedded
// store, or PostgreSQL with -database-url). Then -clients clients call
// both APIs for -duration: the dashboard API over gRPC and ConfigService
// over Connect, reading, listing, changing, creating and deleting routes
// in a fixed mix. It reports each call's throughput and p50/p99/max, the
// errors by code, and the reconcile lag: the time from a write's call, and
// from its answer, until its record arrives on a Sync stream of the
// databroker.
//
// With -soak it samples serve's resident memory, goroutines and open
// descriptors every -sample and fails when one grows beyond noise between
// the first and the last third of the samples taken after -warmup.
//
// It exits 1 when any call failed, a write never arrived, or the soak
// found growth; 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
)

// options are a run's flags.
type options struct {
	Binary      string
	Routes      int
	Clients     int
	Duration    time.Duration
	Soak        bool
	Sample      time.Duration
	Warmup      time.Duration
	DatabaseURL string
	DatabaseKey string
}

func main() {
	var o options
	flag.StringVar(&o.Binary, "binary", "bin/pomerium-console", "the console binary to run (make build makes it)")
	flag.IntVar(&o.Routes, "routes", 100000, "routes to seed the store with")
	flag.IntVar(&o.Clients, "clients", 16, "concurrent API clients")
	flag.DurationVar(&o.Duration, "duration", time.Minute, "how long the clients call")
	flag.BoolVar(&o.Soak, "soak", false, "sample serve's memory, goroutines and descriptors and fail on growth")
	flag.DurationVar(&o.Sample, "sample", 10*time.Second, "how often a soak samples")
	flag.DurationVar(&o.Warmup, "warmup", 0, "how long a soak waits before the samples it compares (default: a fifth of -duration)")
	flag.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL connection URL of an empty database (default: the embedded store)")
	flag.StringVar(&o.DatabaseKey, "database-encryption-key", "", "the store's encryption key (base64 of 32 bytes), with -database-url")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o, os.Stderr)
	if rep != nil {
		rep.print(os.Stdout)
	}
	if err == nil {
		err = rep.failure()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// check says which flag is wrong and why.
func (o *options) check() error {
	switch {
	case o.Routes < 1:
		return fmt.Errorf("-routes %d: need at least one route", o.Routes)
	case o.Clients < 1:
		return fmt.Errorf("-clients %d: need at least one client", o.Clients)
	case o.Routes < o.Clients:
		return fmt.Errorf("-routes %d: need at least one route per client (-clients %d)", o.Routes, o.Clients)
	case o.Duration <= 0:
		return fmt.Errorf("-duration %s: must be positive", o.Duration)
	case o.Sample <= 0:
		return fmt.Errorf("-sample %s: must be positive", o.Sample)
	case (o.DatabaseURL == "") != (o.DatabaseKey == ""):
		return errors.New("-database-url and -database-encryption-key go together")
	}
	if o.Warmup == 0 {
		o.Warmup = o.Duration / 5
	}
	if o.Soak && o.Duration-o.Warmup < 6*o.Sample {
		return fmt.Errorf("-soak: %s after a warm-up of %s holds fewer than six samples of %s", o.Duration, o.Warmup, o.Sample)
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return fmt.Errorf("-binary: %w (make build makes it)", err)
	}
	return nil
}

// report is what a run found.
type report struct {
	opts    options
	elapsed time.Duration
	calls   []string
	errors  int
	lag     string
	lost    int
	samples []sample
	warmup  int // samples taken during the warm-up
	// before and after are serve at rest: before the clients connected,
	// and once they have gone.
	before, after sample
	grew          []string
	growthOK      error // why growth could not be judged, if so
}

// run starts the world, drives it and stops it.
func run(ctx context.Context, o options, progress io.Writer) (*report, error) {
	w, err := startWorld(ctx, o, progress)
	if err != nil {
		return nil, err
	}
	rep, err := drive(ctx, w, o, progress)
	return rep, errors.Join(err, w.close())
}

// drive runs the clients for o.Duration beside the lag watch and, with
// o.Soak, the sampler.
func drive(ctx context.Context, w *world, o options, progress io.Writer) (*report, error) {
	broker, err := databroker.Dial(databroker.Options{URL: w.broker.URL(), SharedSecret: w.broker.SharedSecret()})
	if err != nil {
		return nil, err
	}
	defer broker.Close() //nolint:errcheck // nothing is left to fail
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	lag := newLagWatch()
	watchErr, err := lag.follow(watchCtx, broker)
	if err != nil {
		return nil, err
	}

	ns, ids, err := routeIDs(ctx, w, o.Routes)
	if err != nil {
		return nil, err
	}
	rep := &report{opts: o}
	if o.Soak {
		// At rest, before any client connects: what the end is held to.
		if rep.before, err = w.takeSample(0); err != nil {
			return nil, fmt.Errorf("sample serve: %w", err)
		}
	}
	st := newStats()
	clients := make([]*client, o.Clients)
	var hangUps []func()
	hangUp := func() {
		for _, h := range hangUps {
			h()
		}
		hangUps = nil
	}
	defer hangUp()
	for i := range clients {
		conn, cs, closeConns, err := dial(w)
		if err != nil {
			return nil, err
		}
		hangUps = append(hangUps, closeConns)
		c := &client{n: i, rng: rand.New(rand.NewPCG(uint64(i), 1)), namespace: ns, all: ids,
			dashboard: dashboardpb.NewRouteServiceClient(conn), config: cs, stats: st, lag: lag}
		for j := i; j < len(ids); j += o.Clients {
			c.routes = append(c.routes, ids[j])
		}
		clients[i] = c
	}

	fmt.Fprintf(progress, "load: %d clients calling for %s\n", o.Clients, o.Duration)
	// The end of the run cancels the calls in flight, which then know it
	// (ctx.Err is set before they fail); a deadline would fail them with
	// DeadlineExceeded from gRPC's own timer, sometimes before that.
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	timer := time.AfterFunc(o.Duration, stopLoad)
	defer timer.Stop()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.run(loadCtx) })
	}
	tick := time.NewTicker(o.Sample)
	last := int64(0)
sampling:
	for {
		select {
		case <-loadCtx.Done():
			break sampling
		case <-w.serve.Done():
			stopLoad()
			wg.Wait()
			return rep, fmt.Errorf("serve exited under load (%v); its log: %s", w.serve.Err(), w.logTail())
		case <-tick.C:
		}
		at := time.Since(start)
		calls := st.total.Load()
		line := fmt.Sprintf("load: %s/%s %7.0f calls/s", at.Round(time.Second), o.Duration, float64(calls-last)/o.Sample.Seconds())
		last = calls
		if o.Soak {
			s, err := w.takeSample(at)
			if err != nil {
				stopLoad()
				wg.Wait()
				return rep, fmt.Errorf("sample serve: %w", err)
			}
			rep.samples = append(rep.samples, s)
			if at < o.Warmup {
				rep.warmup++
			}
			line += "  " + s.String()
		}
		fmt.Fprintln(progress, line)
	}
	tick.Stop()
	wg.Wait()
	hangUp()
	rep.elapsed = time.Since(start)
	rep.calls, rep.errors = st.summary(rep.elapsed)
	rep.lost = lag.drain(time.Minute)
	rep.lag = lag.summary()
	stopWatch()
	if err := watchErr(); err != nil {
		return rep, err
	}
	if o.Soak {
		rep.grew, rep.growthOK = growth(rep.samples[rep.warmup:])
		fmt.Fprintln(progress, "load: waiting for serve to come to rest")
		var left []string
		rep.after, left, err = w.rest(ctx, rep.before, time.Since(start))
		if err != nil {
			return rep, err
		}
		rep.grew = append(rep.grew, left...)
	}
	return rep, nil
}

// routeIDs finds the Global namespace, where import put the routes, and
// lists the seeded routes' ids there through the dashboard API, a largest
// page at a time.
func routeIDs(ctx context.Context, w *world, want int) (namespace string, ids []string, err error) {
	conn, _, hangUp, err := dial(w)
	if err != nil {
		return "", nil, err
	}
	defer hangUp()
	nss, err := dashboardpb.NewNamespaceServiceClient(conn).ListNamespaces(ctx, &dashboardpb.ListNamespacesRequest{})
	if err != nil {
		return "", nil, fmt.Errorf("list the namespaces: %w", err)
	}
	for _, ns := range nss.Namespaces {
		if ns.ParentId == "" {
			namespace = ns.Id
		}
	}
	if namespace == "" {
		return "", nil, errors.New("the dashboard API lists no namespace without a parent (Global)")
	}
	rs := dashboardpb.NewRouteServiceClient(conn)
	const page = 1000
	ids = make([]string, 0, want)
	for {
		res, err := rs.ListRoutes(ctx, &dashboardpb.ListRoutesRequest{Namespace: namespace, Offset: proto.Int64(int64(len(ids))), Limit: proto.Int64(page)})
		if err != nil {
			return "", nil, fmt.Errorf("list the seeded routes: %w", err)
		}
		for _, r := range res.Routes {
			ids = append(ids, r.Id)
		}
		if len(res.Routes) < page {
			break
		}
	}
	if len(ids) != want {
		return "", nil, fmt.Errorf("the dashboard API lists %d routes, the run seeded %d", len(ids), want)
	}
	return namespace, ids, nil
}

// failure says why the run failed, if it did.
func (r *report) failure() error {
	var errs []error
	if r.errors > 0 {
		errs = append(errs, fmt.Errorf("%d calls failed", r.errors))
	}
	if r.lost > 0 {
		errs = append(errs, fmt.Errorf("%d acknowledged writes never arrived in the databroker", r.lost))
	}
	if r.growthOK != nil {
		errs = append(errs, r.growthOK)
	}
	for _, g := range r.grew {
		errs = append(errs, errors.New(g))
	}
	return errors.Join(errs...)
}

func (r *report) print(out io.Writer) {
	fmt.Fprintf(out, "load: %d routes, %d clients, %s\n", r.opts.Routes, r.opts.Clients, r.elapsed.Round(time.Millisecond))
	for _, c := range r.calls {
		fmt.Fprintln(out, c)
	}
	fmt.Fprintln(out, r.lag)
	if r.lost > 0 {
		fmt.Fprintf(out, "%d acknowledged writes never arrived\n", r.lost)
	}
	if r.opts.Soak {
		fmt.Fprintf(out, "soak: %s (after a warm-up of %d)\n", seriesSummary(r.samples[r.warmup:]), r.warmup)
		fmt.Fprintf(out, "soak: at rest before: %s\nsoak: at rest after:  %s\n", r.before, r.after)
		switch {
		case r.growthOK != nil:
			fmt.Fprintln(out, "soak:", r.growthOK)
		case len(r.grew) == 0:
			fmt.Fprintln(out, "soak: no growth beyond noise")
		default:
			for _, g := range r.grew {
				fmt.Fprintln(out, "soak:", g)
			}
		}
	}
}

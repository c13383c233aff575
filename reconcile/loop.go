package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"golang.org/x/sync/errgroup"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// Options configure a Loop.
// Store is what the loop reads and writes of the store: desired state
// whole and what changed of it (read objects by id too), the change feed
// that wakes it, and where its findings go.
type Store interface {
	store.Snapshots
	store.Notifier
	store.StatusStore
	Get(ctx context.Context, k store.Kind, id string, opts ...store.GetOption) (store.Object, error)
	List(ctx context.Context, k store.Kind, q store.ListQuery) (*store.ListResult, error)
}

type Options struct {
	Store  Store
	Client *databroker.Client
	// Name names the reconciler: its lease and its health record. One name
	// per databroker; default "default".
	Name string
	// Instance identifies this process in the lease holder's health report.
	Instance string
	// ResyncInterval is how often the loop re-reads desired state without
	// being woken, in case a notification was lost. Default 1 minute.
	ResyncInterval time.Duration
	// LeaseTTL is the lifetime of the writer lease. Default 30 seconds.
	LeaseTTL time.Duration
	// LeaseRetry is how often an instance that is not the writer tries to
	// take the lease. Default 5 seconds.
	LeaseRetry time.Duration
	// RetryBackoff is the wait after a failed pass. Default 1 second.
	RetryBackoff time.Duration
	Logger       logr.Logger
	Metrics      *Metrics
}

// Loop keeps the databroker equal to desired state.
type Loop struct {
	opts     Options
	log      logr.Logger
	m        *Metrics
	statuses *statusWriter
	health   store.Health
	resync   chan struct{}
	live     *Liveness
	// desired outlives each lead: a lease blip or a databroker reset
	// costs a new view, not a compilation of everything (seconds at
	// 100,000 routes).
	desired *desired
	// watchers counts the Sync watchers running, so that a test can tell
	// that none outlives the lead that started it.
	watchers atomic.Int32
}

// New returns a loop; Run starts it.
func New(opts Options) *Loop {
	if opts.Name == "" {
		opts.Name = "default"
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = time.Minute
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.LeaseRetry <= 0 {
		opts.LeaseRetry = 5 * time.Second
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	return &Loop{
		opts: opts, log: opts.Logger.WithValues("reconciler", opts.Name), m: opts.Metrics,
		statuses: &statusWriter{store: opts.Store},
		health:   store.Health{Name: opts.Name},
		resync:   make(chan struct{}, 1),
		live:     newLiveness(),
		desired:  &desired{store: opts.Store},
	}
}

// Resync asks the writer for a pass that checks every object of the store
// and compares every record with the databroker, as the periodic resync
// does.
// It returns at once.
func (l *Loop) Resync() { signal(l.resync) }

// Liveness reports whether the loop is ready and making progress.
func (l *Loop) Liveness() *Liveness { return l.live }

// LeaseName is the databroker lease that makes one instance the writer.
func (l *Loop) LeaseName() string { return "pomerium-console-reconciler-" + l.opts.Name }

// Run reconciles until ctx ends. Only the instance holding the lease writes;
// the others wait to take over.
func (l *Loop) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		l.live.busy("taking the writer lease")
		lease, err := l.opts.Client.AcquireLease(ctx, l.LeaseName(), l.opts.LeaseTTL)
		if err != nil {
			if errors.Is(err, databroker.ErrLeaseHeld) {
				l.live.idle("standing by: another instance holds the writer lease")
				l.live.markReady()
			} else {
				l.log.Error(err, "acquire writer lease")
				l.live.idle("cannot take the writer lease: " + err.Error())
			}
			wait(ctx, l.opts.LeaseRetry)
			continue
		}
		l.log.Info("holding the writer lease", "lease", lease.Name)
		l.m.LeaseHeld.Set(1)
		leadCtx, stopLead := context.WithCancelCause(ctx)
		unwatch := context.AfterFunc(lease.Context(), func() { stopLead(context.Cause(lease.Context())) })
		err = l.lead(leadCtx)
		cause := context.Cause(leadCtx) // before the release below adds its own
		unwatch()
		stopLead(nil)
		l.m.LeaseHeld.Set(0)
		l.live.busy("releasing the writer lease")
		releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := lease.Release(releaseCtx); rerr != nil {
			l.log.Error(rerr, "release writer lease")
		}
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		l.log.Error(err, "stopped writing; starting over", "cause", cause)
		l.live.idle(fmt.Sprintf("stopped writing (%v); starting over", err))
		wait(ctx, l.opts.RetryBackoff)
	}
	return nil
}

// lead loads the view and reconciles until ctx ends (lease lost) or the
// databroker resets, which needs a fresh view. It returns only once every
// goroutine it started has ended: a watcher that outlived its lead would go
// on feeding a view nobody reads beside the watchers of the next lead.
func (l *Loop) lead(ctx context.Context) error {
	l.live.busy("loading the databroker view")
	view, err := l.loadView(ctx)
	if err != nil {
		return err
	}
	if err := l.statuses.load(ctx); err != nil {
		return err
	}
	// The first error (a watcher seeing a reset, the change feed ending)
	// stops the others, and is what lead returns.
	g, ctx := errgroup.WithContext(ctx)
	wake := make(chan struct{}, 1)
	for _, rt := range recordTypes {
		g.Go(func() error { return l.watch(ctx, view, rt, func() { signal(wake) }) })
	}
	g.Go(func() error { return l.serve(ctx, view, wake) })
	return g.Wait()
}

// serve runs a pass whenever one is due, until ctx ends or the change feed
// does. Its first pass reads the store after it subscribed to the feed, so
// it misses no change.
func (l *Loop) serve(ctx context.Context, view *View, wake <-chan struct{}) error {
	sub := l.opts.Store.Subscribe(ctx)
	defer sub.Close()
	state := l.desired
	resync := time.NewTicker(l.opts.ResyncInterval)
	defer resync.Stop()
	var retry <-chan time.Time
	// The view is new, and another writer may have changed the databroker
	// or the statuses since this loop last led: the first pass compares
	// every object, however little the store changed.
	everything := true
	for due := true; ; {
		if due {
			retry = nil
			l.live.busy("reconciling")
			err := l.pass(ctx, view, state, everything)
			switch {
			case err == nil:
				everything = false
				l.live.idle(fmt.Sprintf("in sync with store version %d", l.health.SyncedVersion))
				l.live.markReady()
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				l.failed(ctx, err)
				l.live.idle("reconcile pass failed; retrying: " + err.Error())
				retry = time.After(l.opts.RetryBackoff)
			}
		}
		due = true
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-sub.C:
			switch {
			case !ok && ctx.Err() != nil:
				// The subscription ends with the lead: that is not the
				// reason the lead ends.
				return ctx.Err()
			case !ok:
				return errors.New("store change feed ended")
			}
			// A backend may announce one commit twice (its own publish and
			// the database's notification); a version the last successful
			// pass already compiled needs no pass of its own.
			due = ev.MaybeMissed || ev.Version > l.health.SyncedVersion
			if ev.MaybeMissed {
				state.invalidate()
			}
		case <-wake:
		case <-resync.C:
			// The periodic resync compares every object's version in the
			// store with the compiled copy, in case a change slipped past
			// both the feed and the version bookkeeping, and every record
			// with the view.
			state.invalidate()
		case <-l.resync:
			state.invalidate()
		case <-retry:
		}
	}
}

// loadView reads every record of ours with SyncLatest.
func (l *Loop) loadView(ctx context.Context) (*View, error) {
	view := NewView()
	for _, rt := range recordTypes {
		var observeErr error
		vs, err := l.opts.Client.SyncLatest(ctx, rt.Type, func(rec *pb.Record) {
			if _, err := view.Observe(rec); err != nil && observeErr == nil {
				observeErr = err
			}
		})
		if err = errors.Join(err, observeErr); err != nil {
			return nil, fmt.Errorf("load view: %w", err)
		}
		view.SetVersions(rt.Type, vs)
		l.health.DatabrokerServerVersion = vs.ServerVersion
	}
	l.m.ViewRecords.Set(float64(view.Len()))
	l.log.Info("loaded the databroker view", "records", view.Len(), "server_version", l.health.DatabrokerServerVersion)
	return view, nil
}

// watch keeps the view current from the Sync stream of one record type and
// wakes the loop when a record changed behind its back. Transient stream
// errors resume from the last version seen; a reset is returned, to end the
// lead.
func (l *Loop) watch(ctx context.Context, view *View, rt recordType, changed func()) error {
	l.watchers.Add(1)
	defer l.watchers.Add(-1)
	for ctx.Err() == nil {
		err := l.opts.Client.Sync(ctx, rt.Type, view.Versions(rt.Type), func(rec *pb.Record) error {
			c, err := view.Observe(rec)
			if err != nil {
				return err
			}
			vs := view.Versions(rt.Type)
			vs.RecordVersion = max(vs.RecordVersion, rec.GetVersion())
			view.SetVersions(rt.Type, vs)
			if c {
				view.MarkDrift(rec)
				changed()
			}
			return nil
		})
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, databroker.ErrReset) {
			return err
		}
		l.log.Error(err, "databroker sync stream ended; resuming", "type", rt.Type)
		wait(ctx, l.opts.RetryBackoff)
	}
	return nil
}

// pass reconciles once: the desired objects that changed (or, after a full
// read or with everything set, every object) compiled, compared with the
// view, and the difference written out.
func (l *Loop) pass(ctx context.Context, view *View, state *desired, everything bool) error {
	start := time.Now()
	defer func() { l.m.Duration.Observe(time.Since(start).Seconds()) }()
	touched, full, err := state.refresh(ctx)
	if err != nil {
		return err
	}
	drifted := view.TakeDrifted()
	keys := union(touched, slices.Collect(maps.Keys(drifted)))
	if full || everything {
		keys = union(keys, state.compiler.Keys(), view.Keys(), l.statuses.keys())
	}
	if err := l.apply(ctx, view, state.compiler, keys, drifted); err != nil {
		state.owe(keys)
		return err
	}
	return l.succeeded(ctx, state.version)
}

// apply writes what the objects of keys need and then their statuses.
func (l *Loop) apply(ctx context.Context, view *View, target *compile.Compiler, keys []compile.ObjectKey, drifted map[compile.ObjectKey]bool) error {
	plan, err := Diff(target, keys, view, time.Now())
	if err != nil {
		return err
	}
	var writeErr error
	if !plan.Empty() {
		canon := make(map[compile.ObjectKey][]byte, plan.Puts)
		repairs := 0
		for _, rec := range plan.Writes {
			rt, _ := typeByName(rec.GetType())
			key := compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}
			canon[key] = rec.GetData().GetValue()
			if drifted[key] {
				repairs++
			}
		}
		var observeErr error
		err := l.opts.Client.PutEach(ctx, plan.Writes, func(rec *pb.Record) {
			rt, _ := typeByName(rec.GetType())
			if _, err := view.ObserveWritten(rec, canon[compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}]); err != nil {
				observeErr = errors.Join(observeErr, err)
			}
		})
		writeErr = errors.Join(err, observeErr)
		l.m.RecordsPut.Add(float64(plan.Puts))
		l.m.RecordsDeleted.Add(float64(plan.Deletes))
		l.m.DriftRepaired.Add(float64(repairs))
		l.log.V(1).Info("wrote records", "puts", plan.Puts, "deletes", plan.Deletes, "drift_repaired", repairs)
	}
	l.m.ViewRecords.Set(float64(view.Len()))
	invalid, err := l.statuses.write(ctx, target, keys, view)
	l.m.ValidationErrors.Set(float64(invalid))
	return errors.Join(writeErr, err)
}

// union returns the keys of every list, each once.
func union(lists ...[]compile.ObjectKey) []compile.ObjectKey {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	seen := make(map[compile.ObjectKey]struct{}, n)
	out := make([]compile.ObjectKey, 0, n)
	for _, l := range lists {
		for _, k := range l {
			if _, ok := seen[k]; !ok {
				seen[k] = struct{}{}
				out = append(out, k)
			}
		}
	}
	return out
}

func (l *Loop) succeeded(ctx context.Context, version int64) error {
	now := time.Now()
	l.health.Holder = l.opts.Instance
	l.health.LastSuccess, l.health.SyncedVersion, l.health.UpdatedAt = now, version, now
	l.m.LastSuccess.Set(float64(now.Unix()))
	if current, err := l.opts.Store.Version(ctx); err == nil {
		l.m.Lag.Set(float64(current - version))
	}
	return l.opts.Store.SetHealth(ctx, l.health)
}

func (l *Loop) failed(ctx context.Context, err error) {
	l.m.Errors.Inc()
	l.log.Error(err, "reconcile pass failed; retrying", "in", l.opts.RetryBackoff)
	now := time.Now()
	l.health.Holder = l.opts.Instance
	l.health.LastError, l.health.LastErrorAt, l.health.UpdatedAt = err.Error(), now, now
	if herr := l.opts.Store.SetHealth(ctx, l.health); herr != nil {
		l.log.Error(herr, "record reconciler health")
	}
}

func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default: // a wake-up is already pending; one is enough
	}
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"golang.org/x/sync/errgroup"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
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
	// Cluster is the id of the cluster whose databroker Client reaches:
	// the loop writes the records that belong there. Default: the default
	// cluster.
	Cluster string
	// Name names the reconciler: its lease and its health record. One name
	// per databroker; default "default".
	Name string
	// Instance identifies this process in the lease holder's health report.
	Instance string
	// ResyncInterval is how often the loop re-reads desired state without
	// being woken, in case a notification was lost. Default 1 minute.
	ResyncInterval time.Duration
	// LeaseTTL is the lifetime of the writer lease. Default 10 seconds.
	//
	// It bounds how long the records stay unwritten after the writer dies
	// without releasing the lease (killed, its host lost): a standby, or
	// the same process started again, takes over once the lease expires,
	// within LeaseTTL plus LeaseRetry of the death (12 s by default). The
	// lease is short rather than reclaimable by a restarted instance: a
	// reclaim would help only a restart on the same host, not a standby,
	// and it would need a proof that the old holder is gone which two
	// processes given the same identity (the replicas of one template)
	// cannot give each other. What it costs: a renewal every third of the
	// lifetime (one small call), and a writer that cannot reach the
	// databroker for nearly the whole lifetime (10 s rather than 30 s)
	// loses the lease, so loads its view again once it can; its writes
	// would have failed meanwhile.
	LeaseTTL time.Duration
	// LeaseRetry is how often an instance that is not the writer tries to
	// take the lease. Default 2 seconds.
	LeaseRetry time.Duration
	// RetryBackoff is the wait after a failed pass, doubled after each
	// failure to reach the databroker in a row up to MaxBackoff. Default 1
	// second.
	RetryBackoff time.Duration
	// MaxBackoff caps the wait between attempts to reach a databroker
	// that does not answer. Default 30 seconds.
	MaxBackoff time.Duration
	// DataSources fetches the cluster's external data sources while the
	// loop holds the writer lease; nil: they are not fetched.
	DataSources *datasource.Fetcher
	// DataSourceMetrics are the data sources' metrics, labelled Label
	// (the cluster's name; default Name).
	DataSourceMetrics *datasource.Metrics
	Label             string
	Logger            logr.Logger
	Metrics           *Metrics
}

// Loop keeps the databroker equal to desired state.
type Loop struct {
	opts     Options
	log      logr.Logger
	m        *Metrics
	statuses *statusWriter
	// queue writes statuses and health records off the loop.
	queue *statusQueue
	// resyncsStarted counts the resyncs this loop started, for the one in
	// wholeIndexEvery that reads the whole index.
	resyncsStarted int
	// passing is held for the length of each pass: a resync comparing
	// off the loop waits for it between slices (giveWay), so that an
	// edit's pass does not share the CPU with the comparison.
	passing sync.Mutex
	// passEnded is when the last pass ended (sinceStart), 0 before the
	// first: while passes come one after another, a resync rests
	// between its slices (giveWay).
	passEnded atomic.Int64
	// sliceBegan is when the resync's slice under way began (sinceStart),
	// 0 before the first.
	sliceBegan atomic.Int64
	// rest, when not nil, stands for time.Sleep in giveWay: tests see
	// the rests asked for there.
	rest   func(time.Duration)
	health store.Health
	resync chan struct{}
	// betweenSlices, when not nil, is called after each slice a resync
	// compares off the loop, once it gave way: tests change what the
	// comparison reads there.
	betweenSlices func()
	// wake asks the writer for a pass: drift seen on a Sync stream, or
	// another cluster's loop having written a record this one waits for.
	wake chan struct{}
	live *Liveness
	// src is the compiled copy of desired state, shared by the loops of a
	// fleet. It outlives each lead: a lease blip or a databroker reset
	// costs a new view, not a compilation of everything (seconds at
	// 100,000 routes).
	src *source
	// fleet, when the loop is one of a fleet, tells whether another
	// cluster's databroker holds a record yet.
	fleet *Fleet
	// view is the current lead's view; nil between leads.
	view atomic.Pointer[View]
	// deferred are records this loop keeps until the cluster they moved
	// to holds them.
	deferred deferredKeys
	// synced is the synced version of the last health record stored (the
	// statuses of that version are stored too); anySynced says that one
	// was, and stored is signalled each time.
	synced    atomic.Int64
	anySynced atomic.Bool
	stored    chan struct{}
	// watchers counts the Sync watchers running, so that a test can tell
	// that none outlives the lead that started it.
	watchers atomic.Int32
	// feeds keeps the records of the cluster's external data sources
	// while the loop leads; nil when they are not fetched.
	feeds *datasource.Runner
	// bulk holds the objects left for later passes to compare.
	bulk bulkQueue
	// sweeping says that bulk holds a resync's sweep of every object.
	sweeping bool
	// listed are the objects a resync off the loop listed for the sweep
	// of the next pass.
	listed []compile.ObjectKey
	// compiled is the store version the last pass compiled.
	compiled int64
}

// New returns a loop; Run starts it.
func New(opts Options) *Loop {
	src := newSource(opts.Store)
	l := newLoop(opts, src, nil)
	src.subscribe(l)
	return l
}

func newLoop(opts Options, src *source, fleet *Fleet) *Loop {
	if opts.Name == "" {
		opts.Name = "default"
	}
	if opts.Cluster == "" {
		opts.Cluster = store.DefaultClusterID
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = time.Minute
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	if opts.LeaseRetry <= 0 {
		opts.LeaseRetry = 2 * time.Second
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	l := &Loop{
		opts: opts, log: opts.Logger.WithValues("reconciler", opts.Name), m: opts.Metrics,
		statuses: &statusWriter{store: opts.Store},
		health:   store.Health{Name: opts.Name},
		resync:   make(chan struct{}, 1),
		wake:     make(chan struct{}, 1),
		stored:   make(chan struct{}, 1),
		live:     newLiveness(),
		src:      src,
		fleet:    fleet,
	}
	l.queue = newStatusQueue(opts.Store, l.healthWritten)
	if opts.DataSources != nil {
		l.feeds = datasource.NewRunner(datasource.Options{
			Store: opts.Store, Client: opts.Client, Cluster: opts.Cluster, Label: cmp.Or(opts.Label, opts.Name),
			Fetcher: opts.DataSources, Instance: opts.Instance, Retry: opts.RetryBackoff,
			Metrics: opts.DataSourceMetrics, Logger: l.log,
		})
	}
	return l
}

// Resync asks the writer for a resync, as the periodic one: the store's
// sums (or, every tenth time or when they differ, every object's version)
// compared with the compiled copy, and every record and status with the
// view. It returns at once.
func (l *Loop) Resync() { signal(l.resync) }

// Liveness reports whether the loop is ready and making progress.
func (l *Loop) Liveness() *Liveness { return l.live }

// LeaseName is the databroker lease that makes one instance the writer.
func (l *Loop) LeaseName() string { return "pomerium-console-reconciler-" + l.opts.Name }

// Run reconciles until ctx ends. Only the instance holding the lease writes;
// the others wait to take over.
func (l *Loop) Run(ctx context.Context) error {
	unreachable := 0 // attempts in a row the databroker did not answer
	for ctx.Err() == nil {
		l.live.busy("taking the writer lease")
		lease, err := l.opts.Client.AcquireLease(ctx, l.LeaseName(), l.opts.LeaseTTL)
		if err != nil {
			if errors.Is(err, databroker.ErrLeaseHeld) {
				unreachable = 0
				l.live.idle("standing by: another instance holds the writer lease")
				l.live.markReady()
				wait(ctx, l.opts.LeaseRetry)
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			// Unreachable, or refusing us: back off, and say so where the
			// surfaces show the cluster's objects as pending.
			delay := l.backoff(unreachable)
			unreachable++
			l.failed(ctx, fmt.Errorf("cannot reach the databroker: %w", err), delay)
			l.live.idle("cannot take the writer lease: " + err.Error())
			wait(ctx, delay)
			continue
		}
		unreachable = 0
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

// backoff is the wait after the n+1th failure in a row to reach the
// databroker: RetryBackoff doubled n times, at most MaxBackoff, with up to
// a fifth of jitter so that the instances of a fleet do not knock at once.
func (l *Loop) backoff(n int) time.Duration {
	d := l.opts.RetryBackoff
	for range min(n, 16) {
		if d *= 2; d >= l.opts.MaxBackoff {
			d = l.opts.MaxBackoff
			break
		}
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
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
	if err := l.statuses.load(ctx, view); err != nil {
		return err
	}
	l.queue.reset()
	l.view.Store(view)
	defer l.view.Store(nil)
	// The first error (a watcher seeing a reset, the change feed ending)
	// stops the others, and is what lead returns.
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return l.queue.run(ctx, l.opts.RetryBackoff) })
	for _, rt := range recordTypes {
		g.Go(func() error { return l.watch(ctx, view, rt, func() { signal(l.wake) }) })
	}
	g.Go(func() error { return l.serve(ctx, view) })
	if l.feeds != nil {
		// The data sources write under the same lease: one instance
		// writes to a cluster's databroker.
		g.Go(func() error { return l.feeds.Run(ctx) })
	}
	return g.Wait()
}

// serve runs a pass whenever one is due, until ctx ends or the change feed
// does. Its first pass reads the store after it subscribed to the feed, so
// it misses no change.
//
// Bulk work never holds up an edit for long: a resync reads the store's
// index off the loop, and the objects it, or a change touching many
// objects, asks to compare are taken a slice per pass, with the store's
// changes read again before each.
func (l *Loop) serve(ctx context.Context, view *View) error {
	sub := l.opts.Store.Subscribe(ctx)
	defer sub.Close()
	resync := time.NewTicker(l.opts.ResyncInterval)
	defer resync.Stop()
	var retry <-chan time.Time
	// The view is new, and another writer may have changed the databroker
	// or the statuses since this loop last led: the first pass compares
	// every object, however little the store changed.
	everything := true
	l.bulk.reset()
	l.sweeping, l.listed = false, nil
	// indexed delivers the index a resync reads off the loop; nil when
	// none is being read.
	var indexed chan indexRead
	// failed is the error of the last pass, until one succeeds: the passes
	// that retry it say so, so that the health probe shows why the records
	// are not written while the databroker does not answer, not only in
	// the moments between two attempts.
	var failed error
	// inSync says that the last pass left nothing to do: the loop is in
	// sync with the store once that pass's health record is stored.
	inSync := false
	for due := true; ; {
		more := false
		if due {
			retry, inSync = nil, false
			if failed != nil {
				l.live.busy("reconciling again after a failed pass: " + failed.Error())
			} else {
				l.live.busy("reconciling")
			}
			done, err := l.pass(ctx, view, everything)
			failed = err
			switch {
			case err == nil:
				everything = false
				more = !done
				if inSync = done; done {
					l.showSynced()
				}
				if l.deferred.any() {
					// Routes wait here for the cluster they moved to. Its
					// loop here wakes this one when it writes; when another
					// instance writes that cluster only the status it
					// stores tells, so look again after a while.
					retry = time.After(l.opts.RetryBackoff)
				}
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				l.failed(ctx, err, l.opts.RetryBackoff)
				l.live.idle("reconcile pass failed; retrying: " + err.Error())
				retry = time.After(l.opts.RetryBackoff)
			}
		}
		due = true
		// With bulk work left, the next pass comes at once; whatever else
		// is waiting is taken in first.
		var now <-chan time.Time
		if more {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			now = c
		}
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
			due = more || ev.MaybeMissed || ev.Version > l.health.SyncedVersion
			if ev.MaybeMissed {
				l.src.invalidate()
			}
		case <-l.wake:
		case <-resync.C:
			// The periodic resync compares every object's version in the
			// store with the compiled copy, in case a change slipped past
			// both the feed and the version bookkeeping, and every record
			// and status with the view, off the loop; passes then compare
			// what differs.
			due = more
			indexed = l.readIndex(ctx, view, indexed)
		case <-l.resync:
			due = more
			indexed = l.readIndex(ctx, view, indexed)
		case r := <-indexed:
			indexed = nil
			if errors.Is(r.err, errReplaced) {
				// The load that replaces it compares every object.
				l.log.Info("resync off the loop stopped: the compiled copy was dropped or reloaded meanwhile")
			} else if r.err != nil {
				// Compare on the loop, then.
				l.log.Error(r.err, "resync off the loop failed; comparing on the loop")
				l.src.invalidate()
			} else {
				l.src.offer(r.found)
				l.listed = r.found.sweep
			}
		case <-l.stored:
			due = more
			if inSync {
				l.showSynced()
			}
		case <-retry:
		case <-now:
		}
	}
}

// indexRead is the outcome of a resync's comparison off the loop.
type indexRead struct {
	found *resyncFound
	err   error
}

// readIndex starts a resync: the store's index read and compared with the
// compiled copy off the loop. Unless one is under way (running is not nil,
// or a sweep is queued), it returns where its outcome will be delivered.
func (l *Loop) readIndex(ctx context.Context, view *View, running chan indexRead) chan indexRead {
	if running != nil || l.sweeping {
		return running
	}
	l.resyncsStarted++
	whole := l.resyncsStarted%wholeIndexEvery == 0
	out := make(chan indexRead, 1)
	go func() {
		l.sliceBegan.Store(sinceStart())
		found, err := l.findMissing(ctx, view, whole, reuseHeld())
		if err == nil {
			held := found.sweep
			found.sweep, err = l.unsettledSweep(ctx, held, found.sweepExact, found.viewOnly, view)
			keepHeld(held)
		}
		out <- indexRead{found, err}
	}()
	return out
}

// wholeIndexEvery says how often a resync reads the store's whole index
// even though the store's sums agree with the compiled copy's: one in so
// many, for the missed writes that sums cannot tell (see store.IndexSum).
const wholeIndexEvery = 10

// sumsWrittenMax is how many objects written since the compiled copy's
// version a resync sets aside to compare the store's sums with the copy's
// (see desired.agrees); past it, it reads the whole index. A stream of
// edits leaves the copy a few writes behind; a bulk write, thousands.
const sumsWrittenMax = 1000

// findMissing finds what the compiled copy lacks of the store: nothing
// when the store's sums agree with the copy's (unless whole), or else what
// a comparison with the whole index finds. buf is for source.findMissing.
func (l *Loop) findMissing(ctx context.Context, view *View, whole bool, buf []compile.ObjectKey) (*resyncFound, error) {
	if !whole {
		sums, err := l.opts.Store.IndexSums(ctx, l.src.version(), sumsWrittenMax)
		if err != nil {
			return nil, fmt.Errorf("read the store's index sums: %w", err)
		}
		if l.src.agrees(sums) {
			return l.src.findMissing(ctx, nil, sums.Version, view, l.giveWay, buf)
		}
	}
	idx, err := l.opts.Store.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the store's index: %w", err)
	}
	return l.src.findMissing(ctx, idx, idx.Version, view, l.giveWay, buf)
}

// unsettledSweep returns the objects of a resync's sweep that a pass would
// act on (see unsettled), in the order of sweepList: first those of held
// (the objects the compiled copy held; each once when exact), then those of
// the records only the view holds: its routes' and viewOnly (the records of
// other kinds). The view holds no record of a route outside held when held
// is exact, each of the view's route records was found for a route of held
// and the view changed nothing meanwhile; only otherwise are its routes
// looked up in the compiled copy.
func (l *Loop) unsettledSweep(ctx context.Context, held []compile.ObjectKey, exact bool, viewOnly []compile.ObjectKey, view *View) ([]compile.ObjectKey, error) {
	_, changes := view.count(compile.RecordTypeRoute)
	out, found, err := l.unsettled(ctx, held, view)
	if err != nil {
		return nil, err
	}
	var only []compile.ObjectKey
	if after, changed := view.count(compile.RecordTypeRoute); !exact || changed != changes || found != after {
		// The view's routes are looked up a part at a time, not listed
		// first: a list of a million routes is 32 MB of garbage, and
		// resyncs during edits met it nearly every time.
		if err := view.eachPart(func(rt recordType) bool { return rt.Kind == store.KindRoute }, func(r row) bool { return r.inView },
			func(part []compile.ObjectKey) error {
				lacked, err := l.src.lacks(part)
				only = append(only, lacked...)
				return err
			}); err != nil {
			return nil, err
		}
	}
	more, _, err := l.unsettled(ctx, sweepList(nil, append(only, viewOnly...)), view)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// unsettled returns the objects of keys that a pass would act on: those
// whose record the view lacks, holds with other data or should not hold,
// whose status differs from the one last handed over, or that belong to
// another cluster (a moving route is the pass's to judge). A resync's sweep
// compares only these on the loop: at a million routes, comparing every
// object a slice per pass took seconds even when nothing differed.
//
// It runs off the loop, unsettledSlice objects under each hold of the read
// lock, giving way to passes between slices. An object that changes after
// its look reaches a pass as every change does: by the store's feed, the
// view's drift, or the statuses of the pass that wrote it. routesInView
// counts the routes of keys whose record the view held when looked at.
func (l *Loop) unsettled(ctx context.Context, keys []compile.ObjectKey, view *View) (out []compile.ObjectKey, routesInView int, err error) {
	out = []compile.ObjectKey{} // not nil: nil makes the sweep list every object
	now := time.Now()
	var scratch unsettledScratch
	for start := 0; start < len(keys); start += unsettledSlice {
		if err := ctx.Err(); err != nil {
			return nil, 0, err // the lead ended
		}
		part := keys[start:min(start+unsettledSlice, len(keys))]
		var perr error
		if rerr := l.src.read(func(c *compile.Compiler) {
			// Routes, nearly every object at scale, are looked at with one
			// lookup each of the compiled copy and of the view, which
			// holds their statuses too (unsettledRoutes); the others as a
			// pass would.
			routes, rest := scratch.routes[:0], scratch.rest[:0]
			for _, k := range part {
				if k.Kind == store.KindRoute {
					routes = append(routes, k)
				} else if _, ok := typeOfKind(k.Kind); ok {
					rest = append(rest, k)
				} // objects of other kinds have no record and no status
			}
			scratch.routes, scratch.rest = routes, rest
			dueRoutes, inView := l.unsettledRoutes(c, routes, view, &scratch)
			routesInView += inView
			var due map[compile.ObjectKey]bool
			if due, perr = l.unsettledAsPass(c, rest, view, now); perr != nil {
				return
			}
			// In the order listed, which is the order records are written.
			for _, k := range part {
				if k.Kind == store.KindRoute {
					if dueRoutes[0] {
						out = append(out, k)
					}
					dueRoutes = dueRoutes[1:]
				} else if due[k] {
					out = append(out, k)
				}
			}
		}); rerr != nil {
			return nil, 0, rerr
		}
		if perr != nil {
			return nil, 0, perr
		}
		l.giveWay()
		if l.betweenSlices != nil {
			l.betweenSlices()
		}
	}
	return out, routesInView, nil
}

// unsettledAsPass returns, of keys (objects of kinds with records), those
// a pass would act on, found as a pass finds them: their statuses computed
// and their records diffed. The source's read lock is held.
func (l *Loop) unsettledAsPass(c *compile.Compiler, keys []compile.ObjectKey, view *View, now time.Time) (map[compile.ObjectKey]bool, error) {
	due := make(map[compile.ObjectKey]bool, len(keys))
	current := l.statuses.current(c, keys, view, l.owns(c))
	mine := make([]compile.ObjectKey, 0, len(keys))
	for i, k := range keys {
		switch {
		case !current[i]:
			due[k] = true
		case c.Belongs(k, l.opts.Cluster):
			mine = append(mine, k)
		default:
			// Another cluster's: a record of it here is to go (or, for a
			// moving route, to stay a while).
			rt, _ := typeOfKind(k.Kind)
			_, due[k] = view.Get(rt.Type, k.ID)
		}
	}
	plan, err := Diff(&clusterTarget{c: c, cluster: l.opts.Cluster}, mine, view, now)
	if err != nil {
		return nil, err
	}
	for _, rec := range plan.Writes {
		rt, _ := typeByName(rec.GetType())
		due[compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}] = true
	}
	return due, nil
}

// unsettledRoutes reports, for each of routes, whether a pass would act
// on it, as unsettledAsPass would find: its status is not the one last
// handed over, the view lacks this cluster's record of it or holds other
// data, or the view holds a record of a route gone or of another
// cluster's. It reads each route once from the compiled copy and once from
// the view (its record and status), where a pass's status and diff read
// the compiled copy six to eight times: at a million routes a resync makes
// this comparison for each. The source's read lock is held.
func (l *Loop) unsettledRoutes(c *compile.Compiler, routes []compile.ObjectKey, view *View, s *unsettledScratch) (due []bool, inViewCount int) {
	s.size(len(routes))
	for i, k := range routes {
		s.ids[i] = k.ID
	}
	view.rowsOf(compile.RecordTypeRoute, s.ids, s.rows)
	for i, k := range routes {
		var held bool
		s.looks[i], held = c.LookRoute(k.ID, l.opts.Cluster)
		if s.reported[i] = held && s.looks[i].Owner == l.opts.Cluster; s.reported[i] {
			s.found[i] = reportedStatus(k, s.looks[i].Version, s.looks[i].Status, s.rows[i].rec, s.rows[i].inView)
		}
	}
	l.statuses.settled(routes, s.rows, s.found, s.reported, s.settled)
	for i, settled := range s.settled {
		inView := s.rows[i].inView
		if inView {
			inViewCount++
		}
		switch look := s.looks[i]; {
		case !settled:
			s.due[i] = true
		case !s.reported[i]:
			// Gone, or another cluster's: a record of it here is to go
			// (or, for a moving route, to stay a while).
			s.due[i] = inView
		case look.HasRecord:
			s.due[i] = !inView || s.rows[i].rec.Digest != look.Digest
		default:
			s.due[i] = goes(look.Status, true, inView)
		}
	}
	return s.due, inViewCount
}

// unsettledScratch holds what unsettled reads of a slice of objects, from one
// slice to the next: a resync at a million routes allocated a third of
// a gigabyte for it, slice by slice.
type unsettledScratch struct {
	// routes and rest are the slice's routes and its other objects with
	// records, as unsettled sorts them.
	routes, rest           []compile.ObjectKey
	ids                    []string
	rows                   []row
	looks                  []compile.RouteLook
	found                  []store.ObjectStatus
	reported, settled, due []bool
}

// size makes the slices of what unsettledRoutes reads n long, and zero.
func (s *unsettledScratch) size(n int) {
	s.ids, s.rows, s.looks, s.found = sized(s.ids, n), sized(s.rows, n), sized(s.looks, n), sized(s.found, n)
	s.reported, s.settled, s.due = sized(s.reported, n), sized(s.settled, n), sized(s.due, n)
}

func sized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// giveWay waits for a pass under way to end. While passes come one after
// another (the last ended within passesRecent), it then rests as long as
// the slice before it took, restMax at most: the resync then takes about
// half a core, not a whole one, from what an edit waits for beside the
// pass (its write to the store, the databroker's work, the collector) on
// a machine of few cores. Otherwise a resync runs at full speed.
func (l *Loop) giveWay() {
	l.passing.Lock()
	//lint:ignore SA2001 waiting for the pass is the point
	l.passing.Unlock()
	now, began, ended := sinceStart(), l.sliceBegan.Load(), l.passEnded.Load()
	if began != 0 && ended != 0 && now-ended < int64(passesRecent) {
		rest := time.Sleep
		if l.rest != nil {
			rest = l.rest
		}
		rest(min(time.Duration(now-began), restMax))
		now = sinceStart()
	}
	l.sliceBegan.Store(now)
}

// sinceStart is the time since the process started, in nanoseconds, on
// the monotonic clock (a step of the wall clock changes nothing).
func sinceStart() int64 { return int64(time.Since(processStart)) }

var processStart = time.Now()

// passesRecent is how recent a pass makes a resync rest between its
// slices; restMax is the longest rest.
const (
	passesRecent = 100 * time.Millisecond
	restMax      = 10 * time.Millisecond
)

// unsettledSlice is how many objects a resync looks at under one hold of
// the read lock: about a millisecond, which is what a refresh for an edit
// waits at most.
const unsettledSlice = 1000

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
		err := l.opts.Client.Sync(ctx, rt.Type, view.Versions(rt.Type), databroker.SyncHandler{
			Record: func(rec *pb.Record) error {
				c, err := view.Observe(rec)
				if err != nil {
					return err
				}
				view.Advance(rt.Type, rec.GetVersion())
				if c {
					view.MarkDrift(rec)
					changed()
				}
				return nil
			},
			// The echoes of the loop's own writes, most of what the stream
			// brings, are not decoded.
			Held:    view.Held(rt.Type),
			Skipped: func(version uint64) { view.Advance(rt.Type, version) },
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

// pass reconciles once: the desired objects that changed compiled,
// compared with the view, and the difference written out. The first pass of
// a lead compares every object at once; after a full read (a resync) every
// object joins the bulk queue, and so do the objects of a change that
// touched more than sliceKeys of them, and each pass takes a slice of the
// queue after what changed since the last. It reports whether it is done:
// the queue empty, no route waiting to be checked again, and nothing
// another loop's refresh found for this one (see source.unchecked); only
// then is the store version compiled in sync.
func (l *Loop) pass(ctx context.Context, view *View, everything bool) (done bool, err error) {
	l.passing.Lock()
	defer l.passing.Unlock()
	defer func() { l.passEnded.Store(sinceStart()) }()
	start := time.Now()
	defer func() { l.m.Duration.Observe(time.Since(start).Seconds()) }()
	if err := l.queue.failure(); err != nil {
		// The store takes no statuses: what this pass would write could
		// not be reported either. Passes wait until it does.
		return false, err
	}
	// A first load writes each part of desired state as soon as it is
	// compiled, while the rest is still read.
	cold := newColdWrite(ctx, l, view)
	touched, full, version, err := l.src.refresh(ctx, l, cold.chunk)
	err = errors.Join(err, cold.wait())
	if err != nil {
		return false, err
	}
	defer func() {
		if err == nil {
			l.compiled = version
		}
	}()
	drifted := view.TakeDrifted()
	keys := union(touched, slices.Collect(maps.Keys(drifted)), l.deferred.take())
	if everything {
		// Routes left with their last outcome would be written over
		// records that a newer compilation (another instance's, which led
		// before) wrote: every one is checked first.
		left, err := l.src.checkDeferred(l)
		if err != nil {
			return false, err
		}
		keys = union(keys, left)
		l.bulk.reset()
		l.m.BulkQueue.Set(0)
		if err := l.apply(ctx, view, keys, true, drifted); err != nil {
			l.src.owe(l, keys)
			return false, err
		}
		if n := l.src.unchecked(l); n > 0 {
			l.m.BulkQueue.Set(float64(n))
			return false, nil
		}
		l.succeeded(version)
		return true, nil
	}
	if rerr := l.src.read(func(c *compile.Compiler) {
		if full != sweepNone {
			listed := l.listed
			if full == sweepAll {
				listed = nil // every object
			}
			l.bulk.sweep(c, listed, view)
			l.sweeping = true
		}
		l.listed = nil
		split := len(keys) > sliceKeys
		if (split || l.bulk.len() > 0) && !canSlice(c, keys, view, l.opts.Cluster) {
			// A record others use leaves the databroker: every route that
			// may use it is written first, in this pass, those queued
			// before included.
			keys = union(keys, l.bulk.take(l.bulk.len()))
			split = false
		}
		if split {
			// What was itself written since the last pass goes now, with
			// every record others use; the routes it made compile again
			// join the queue.
			var now, later []compile.ObjectKey
			for _, k := range keys {
				if v, ok := c.Version(k); k.Kind != store.KindRoute || !ok || v > l.compiled {
					now = append(now, k)
				} else {
					later = append(later, k)
				}
			}
			l.bulk.add(later)
			keys = now
		}
	}); rerr != nil {
		return false, rerr
	}
	// What changed since the last pass is written first, in requests of
	// its own: an edit's record does not wait for a slice of bulk work.
	if len(keys) > 0 {
		if err := l.apply(ctx, view, keys, false, drifted); err != nil {
			l.src.owe(l, keys)
			return false, err
		}
	}
	if slice := l.bulk.take(sliceKeys - min(len(keys), sliceKeys)); len(slice) > 0 {
		if err := l.apply(ctx, view, slice, false, nil); err != nil {
			l.src.owe(l, slice)
			return false, err
		}
	}
	// Routes whose check a change deferred are checked a slice per
	// refresh.
	left := l.bulk.len() + l.src.unchecked(l)
	l.m.BulkQueue.Set(float64(left))
	if left > 0 {
		return false, nil
	}
	if l.sweeping {
		l.sweeping = false
		l.m.Resyncs.Inc()
	}
	l.succeeded(version)
	return true, nil
}

// apply writes what the objects of keys need (or, with everything set,
// every object's) and then hands their statuses to the status queue. The
// compiled copy is read under the source's lock, and the writes are made
// without it: a slow databroker holds up no other cluster's loop.
func (l *Loop) apply(ctx context.Context, view *View, keys []compile.ObjectKey, everything bool, drifted map[compile.ObjectKey]bool) error {
	var plan *Plan
	var err error
	if rerr := l.src.read(func(c *compile.Compiler) {
		if everything {
			keys = everyKey(c, view, keys)
		}
		plan, err = l.plan(c, keys, view)
	}); rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	writeErr := l.write(ctx, view, plan, drifted)
	var changed []store.ObjectStatus
	var invalid int
	if rerr := l.src.read(func(c *compile.Compiler) {
		changed, invalid = l.statuses.compute(nil, c, keys, view, l.owns(c))
	}); rerr != nil {
		return errors.Join(writeErr, rerr)
	}
	l.m.ValidationErrors.Set(float64(invalid))
	l.queue.statuses(changed)
	return writeErr
}

// plan is the difference between what the objects of keys need in this
// loop's databroker and what the view holds.
func (l *Loop) plan(c *compile.Compiler, keys []compile.ObjectKey, view *View) (*Plan, error) {
	t := l.target(c)
	plan, err := Diff(t, keys, view, time.Now())
	l.deferred.add(t.kept)
	return plan, err
}

// write makes the writes of plan, applies what the databroker answers to
// the view, and counts them; drifted are the objects whose records changed
// behind the loop's back (nil: none).
func (l *Loop) write(ctx context.Context, view *View, plan *Plan, drifted map[compile.ObjectKey]bool) error {
	if plan.Empty() {
		l.m.ViewRecords.Set(float64(view.Len()))
		return nil
	}
	sent := make(map[compile.ObjectKey]*pb.Record, plan.Puts)
	repairs := 0
	for _, rec := range plan.Writes {
		rt, _ := typeByName(rec.GetType())
		key := compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}
		sent[key] = rec
		if drifted[key] {
			repairs++
		}
	}
	var observeErr error
	view.Sending(plan.Writes)
	defer view.Sent(plan.Writes)
	err := l.opts.Client.PutEach(ctx, plan.Writes, func(rec *pb.Record) {
		rt, _ := typeByName(rec.GetType())
		if _, err := view.ObserveWritten(rec, sent[compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}]); err != nil {
			observeErr = errors.Join(observeErr, err)
		}
	})
	l.m.RecordsPut.Add(float64(plan.Puts))
	l.m.RecordsDeleted.Add(float64(plan.Deletes))
	l.m.DriftRepaired.Add(float64(repairs))
	l.m.ViewRecords.Set(float64(view.Len()))
	l.log.V(1).Info("wrote records", "puts", plan.Puts, "deletes", plan.Deletes, "drift_repaired", repairs)
	if plan.Puts > 0 && l.fleet != nil {
		// A loop may be keeping a record that moved here until this
		// databroker holds it.
		l.fleet.placed(l)
	}
	return errors.Join(err, observeErr)
}

// target is what this loop's cluster needs of the compiled state.
func (l *Loop) target(c *compile.Compiler) *clusterTarget {
	t := &clusterTarget{c: c, cluster: l.opts.Cluster}
	if l.fleet != nil {
		t.placed = l.fleet.holds
	}
	return t
}

// owns tells the objects whose status this loop reports: its cluster's.
func (l *Loop) owns(c *compile.Compiler) func(compile.ObjectKey) bool {
	return func(k compile.ObjectKey) bool { return c.Owner(k) == l.opts.Cluster }
}

// feedsClean reports whether the loop's data sources left no records of a
// removed source behind, as far as its last lead found.
func (l *Loop) feedsClean() bool { return l.feeds == nil || l.feeds.Clean() }

// holds reports whether the loop's current view holds a record for key.
func (l *Loop) holds(key compile.ObjectKey) bool {
	view := l.view.Load()
	if view == nil {
		return false
	}
	rt, ok := typeOfKind(key.Kind)
	if !ok {
		return false
	}
	_, ok = view.Get(rt.Type, key.ID)
	return ok
}

// everyKey returns what a pass over everything compares: every object
// compiled, then those of keys and of the view's rows (a record, or a
// status handed over) that are not compiled, each once. Only those few are
// united: the compiled keys are each once already, and uniting the million
// keys of each list took seconds at a million routes.
func everyKey(c *compile.Compiler, view *View, keys []compile.ObjectKey) []compile.ObjectKey {
	return append(c.Keys(), union(c.Lacks(keys), c.Lacks(view.rowKeys()))...)
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

// succeeded records a pass that compiled version and wrote what it needs:
// the health record, once the statuses handed over before it are stored.
func (l *Loop) succeeded(version int64) {
	now := time.Now()
	l.health.Holder = l.opts.Instance
	l.health.LastSuccess, l.health.SyncedVersion, l.health.UpdatedAt = now, version, now
	l.queue.setHealth(l.health)
}

// healthWritten is told each health record the status queue stored: the
// statuses of its synced version are stored too. (A failure's record
// carries the synced version of the last success before it, which may
// have replaced that success's record before it was written.)
func (l *Loop) healthWritten(h store.Health) {
	success := !h.LastSuccess.IsZero() && h.UpdatedAt.Equal(h.LastSuccess)
	advanced := !h.LastSuccess.IsZero() && (!l.anySynced.Load() || h.SyncedVersion > l.synced.Load())
	if !success && !advanced {
		return
	}
	l.synced.Store(h.SyncedVersion)
	l.anySynced.Store(true)
	signal(l.stored)
	if l.fleet != nil {
		l.fleet.passed(l)
	}
	l.m.LastSuccess.Set(float64(h.LastSuccess.Unix()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if current, err := l.opts.Store.Version(ctx); err == nil {
		l.m.Lag.Set(float64(current - h.SyncedVersion))
	}
}

// showSynced says that the loop is in sync with the store, at the last
// version whose statuses are stored, and marks it ready the first time:
// readiness means the statuses are written too.
func (l *Loop) showSynced() {
	if !l.anySynced.Load() {
		return
	}
	l.live.idle(fmt.Sprintf("in sync with store version %d", l.synced.Load()))
	l.live.markReady()
}

// failed records a failed pass, or a failed attempt to lead: in a lead,
// after the statuses handed over before it; otherwise at once.
func (l *Loop) failed(ctx context.Context, err error, retryIn time.Duration) {
	l.m.Errors.Inc()
	l.log.Error(err, "reconcile pass failed; retrying", "in", retryIn)
	now := time.Now()
	l.health.Holder = l.opts.Instance
	l.health.LastError, l.health.LastErrorAt, l.health.UpdatedAt = err.Error(), now, now
	if l.view.Load() != nil {
		l.queue.setHealth(l.health)
		return
	}
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

package datasource

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/store"
)

// Store is what a runner reads and writes of the store: the data sources
// and key pairs (with their secrets), the change feed that tells it of new
// and changed sources, and the sources' statuses.
type Store interface {
	store.Notifier
	store.StatusSink
	DataSourceStatuses(ctx context.Context) (map[string]store.DataSourceStatus, error)
	Get(ctx context.Context, k store.Kind, id string, opts ...store.GetOption) (store.Object, error)
	List(ctx context.Context, k store.Kind, q store.ListQuery) (*store.ListResult, error)
}

// Databroker is what a runner needs of its cluster's databroker.
type Databroker interface {
	SyncLatest(ctx context.Context, recordType string, fn func(*pb.Record)) (databroker.Versions, error)
	PutEach(ctx context.Context, records []*pb.Record, fn func(*pb.Record)) error
}

// Options configure a Runner.
type Options struct {
	Store  Store
	Client Databroker
	// Cluster is the id of the cluster whose data sources the runner
	// serves (their namespace is the cluster's); Label its name, which
	// labels metrics and logs.
	Cluster, Label string
	Fetcher        *Fetcher
	// Instance names this process in the statuses it writes.
	Instance string
	// Retry is the wait before reading the store or cleaning up again
	// after a failure to. Default 5 seconds.
	Retry   time.Duration
	Metrics *Metrics
	Logger  logr.Logger
}

// Runner keeps the records of one cluster's data sources. Run it while
// holding the cluster's writer lease.
type Runner struct {
	opts Options
	log  logr.Logger
	// sources are the live data sources by id, with their schedule.
	sources map[string]*scheduled
	// statuses are those of this cluster's sources, removed ones included
	// until their records are gone.
	statuses map[string]store.DataSourceStatus
	// views are the records of each type written, by id, as the
	// databroker holds them: loaded on first use in a run.
	views map[string]map[string]*pb.Record
	// left counts the statuses held, -1 before they were read: what
	// Clean reports.
	left atomic.Int32
}

// scheduled is a data source with its schedule.
type scheduled struct {
	src      *store.DataSource
	due      time.Time
	failures int
	inflight bool
}

// result is what a fetch found.
type result struct {
	id      string
	version int64
	table   *Table
	err     error
}

// NewRunner returns a runner; Run starts it.
func NewRunner(o Options) *Runner {
	if o.Retry <= 0 {
		o.Retry = 5 * time.Second
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	r := &Runner{opts: o, log: o.Logger.WithName("data-sources")}
	r.left.Store(-1)
	return r
}

// namespace is where the cluster's data sources live.
func (r *Runner) namespace() string { return r.opts.Cluster }

// Clean reports whether the last run left no records of a removed data
// source behind: what a retiring cluster waits for before it is forgotten.
func (r *Runner) Clean() bool { return r.left.Load() == 0 }

// Run fetches every data source of the cluster on its schedule and keeps
// its records until ctx ends. It returns an error only when the store's
// change feed ends.
func (r *Runner) Run(ctx context.Context) error {
	sub := r.opts.Store.Subscribe(ctx)
	defer sub.Close()
	r.sources, r.statuses, r.views = map[string]*scheduled{}, nil, map[string]map[string]*pb.Record{}
	results := make(chan result)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	stale := true
	for {
		if stale {
			if err := r.refresh(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.log.Error(err, "read the data sources; trying again", "in", r.opts.Retry)
			} else {
				stale = false
			}
		}
		now := time.Now()
		next := now.Add(time.Hour)
		if stale {
			next = now.Add(r.opts.Retry)
		}
		for id, s := range r.sources {
			if s.inflight {
				continue
			}
			if !s.due.After(now) {
				s.inflight = true
				src := store.Clone(s.src)
				wg.Go(func() {
					res := r.fetch(ctx, src)
					res.id = id
					select {
					case results <- res:
					case <-ctx.Done():
					}
				})
				continue
			}
			next = earliest(next, s.due)
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-sub.C:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("store change feed ended")
			}
			stale = true
		case res := <-results:
			r.finish(ctx, res)
		case <-timer.C:
		}
	}
}

// getWithSecrets reads an object of type T with its secret.
func getWithSecrets[T store.Object](ctx context.Context, s Store, id string) (T, error) {
	var zero T
	obj, err := s.Get(ctx, zero.Kind(), id, store.WithSecrets())
	if err != nil {
		return zero, err
	}
	return obj.(T), nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// refresh reads the cluster's data sources: new and changed ones are due
// at once, removed ones are dropped, and the records of types no source
// writes any more are deleted.
func (r *Runner) refresh(ctx context.Context) error {
	if r.statuses == nil {
		all, err := r.opts.Store.DataSourceStatuses(ctx)
		if err != nil {
			return err
		}
		r.statuses = map[string]store.DataSourceStatus{}
		for id, st := range all {
			if st.ClusterID == r.opts.Cluster {
				r.statuses[id] = st
			}
		}
	}
	res, err := r.opts.Store.List(ctx, store.KindDataSource, store.ListQuery{NamespaceID: r.namespace()})
	if err != nil {
		return fmt.Errorf("list data sources: %w", err)
	}
	live := map[string]bool{}
	for _, obj := range res.Objects {
		d := obj.(*store.DataSource)
		live[d.ID] = true
		if s := r.sources[d.ID]; s != nil && s.src.Version == d.Version {
			continue
		}
		full, err := getWithSecrets[*store.DataSource](ctx, r.opts.Store, d.ID)
		if errors.Is(err, store.ErrNotFound) {
			delete(live, d.ID) // deleted since the list; the next refresh says so
			continue
		}
		if err != nil {
			return fmt.Errorf("read data source %s: %w", d.ID, err)
		}
		s := r.sources[d.ID]
		if s == nil {
			s = &scheduled{}
			r.sources[d.ID] = s
		}
		s.src, s.due, s.failures = full, time.Time{}, 0
	}
	for id := range r.sources {
		if !live[id] {
			delete(r.sources, id)
			r.opts.Metrics.forget(r.opts.Label, id)
		}
	}
	return r.cleanUp(ctx)
}

// cleanUp deletes the records of the types that a status names and no
// live source writes any more: a removed source's, or the old type of a
// source whose type changed.
func (r *Runner) cleanUp(ctx context.Context) error {
	owned := map[string]bool{}
	for _, s := range r.sources {
		owned[s.src.RecordType] = true
	}
	var errs []error
	for id, st := range r.statuses {
		if st.RecordType != "" && !owned[st.RecordType] {
			st.Removed = true
			r.setStatus(ctx, st)
			n, err := r.removeType(ctx, st.RecordType)
			if err != nil {
				errs = append(errs, fmt.Errorf("delete the records of type %s: %w", st.RecordType, err))
				continue
			}
			r.log.Info("deleted the records of a type no data source writes any more", "type", st.RecordType, "records", n, "source", id)
		}
		if _, ok := r.sources[id]; ok {
			if st.RecordType != r.sources[id].src.RecordType {
				st = store.DataSourceStatus{ID: id, ClusterID: r.opts.Cluster, RecordType: r.sources[id].src.RecordType}
				r.setStatus(ctx, st)
			}
			continue
		}
		if err := r.opts.Store.RemoveDataSourceStatus(ctx, id); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(r.statuses, id)
	}
	r.left.Store(int32(len(r.statuses)))
	return errors.Join(errs...)
}

// fetch reads a data source once, with its client certificate.
func (r *Runner) fetch(ctx context.Context, d *store.DataSource) result {
	out := result{version: d.Version}
	cert, err := r.clientCertificate(ctx, d)
	if err != nil {
		out.err = err
		return out
	}
	out.table, out.err = r.opts.Fetcher.Fetch(ctx, d, cert)
	return out
}

// clientCertificate is the key pair a data source presents, or nil.
func (r *Runner) clientCertificate(ctx context.Context, d *store.DataSource) (*tls.Certificate, error) {
	if d.ClientTLSKeyID == "" {
		return nil, nil
	}
	kp, err := getWithSecrets[*store.KeyPair](ctx, r.opts.Store, d.ClientTLSKeyID)
	if err != nil {
		return nil, fmt.Errorf("client_tls_key_id: read key pair %s: %w", d.ClientTLSKeyID, err)
	}
	cert, err := tls.X509KeyPair(kp.Certificate, kp.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("client_tls_key_id: key pair %s: %w", d.ClientTLSKeyID, err)
	}
	return &cert, nil
}

// finish writes what a fetch found, records the outcome and schedules the
// next fetch: after PollingMinDelay, or after a failure later and later up
// to PollingMaxDelay. A fetch of a source that changed or went meanwhile
// is dropped.
func (r *Runner) finish(ctx context.Context, res result) {
	s := r.sources[res.id]
	if s == nil {
		return
	}
	s.inflight = false
	if s.src.Version != res.version {
		s.due = time.Time{}
		return
	}
	err := res.err
	var puts, deletes int
	if err == nil {
		puts, deletes, err = r.write(ctx, s.src.RecordType, res.table)
	}
	if ctx.Err() != nil {
		return // the lead ended; the next one fetches again
	}
	r.opts.Metrics.fetched(r.opts.Label, res.id, err)
	now := time.Now()
	st := r.statuses[res.id]
	st.ID, st.ClusterID, st.RecordType, st.Removed, st.LastFetch = res.id, r.opts.Cluster, s.src.RecordType, false, now
	minDelay, maxDelay := s.src.Delays()
	if err != nil {
		s.failures++
		delay := Backoff(minDelay, maxDelay, s.failures)
		s.due = now.Add(delay)
		st.LastError, st.LastErrorAt = err.Error(), now
		r.log.Error(err, "data source fetch failed; its records are unchanged", "source", res.id, "type", s.src.RecordType, "retry_in", delay)
	} else {
		s.failures = 0
		s.due = now.Add(minDelay)
		st.LastSuccess, st.Records, st.Fields, st.LastError = now, len(res.table.Rows), res.table.Fields, ""
		r.opts.Metrics.wrote(r.opts.Label, res.id, len(res.table.Rows), puts, deletes, float64(now.Unix()))
		r.log.V(1).Info("data source fetched", "source", res.id, "records", len(res.table.Rows), "puts", puts, "deletes", deletes)
	}
	r.setStatus(ctx, st)
}

// Backoff is the wait after the nth failed fetch in a row: minDelay
// doubled n-1 times, at most maxDelay, less up to a fifth of jitter so
// that sources failing together do not retry together.
func Backoff(minDelay, maxDelay time.Duration, n int) time.Duration {
	d := minDelay
	for i := 1; i < min(n, 32) && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// setStatus stores a status; a failure to is logged, and the next fetch
// writes it again.
func (r *Runner) setStatus(ctx context.Context, st store.DataSourceStatus) {
	st.Holder, st.UpdatedAt = r.opts.Instance, time.Now()
	r.statuses[st.ID] = st
	r.left.Store(int32(len(r.statuses)))
	if err := r.opts.Store.SetDataSourceStatus(ctx, st); err != nil && ctx.Err() == nil {
		r.log.Error(err, "record the status of a data source", "source", st.ID)
	}
}

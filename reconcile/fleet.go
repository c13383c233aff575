package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
)

// FleetOptions configure a Fleet.
type FleetOptions struct {
	Store Store
	// Default reaches the default cluster's databroker.
	Default *databroker.Client
	// Dial reaches the databroker of an added cluster (read with its
	// shared secret).
	Dial func(*store.Cluster) (*databroker.Client, error)
	// Retired deletes for good a retiring cluster whose databroker holds
	// no record of the console any more.
	Retired func(ctx context.Context, id string) error
	// Instance, ResyncInterval, LeaseTTL, LeaseRetry, RetryBackoff and
	// MaxBackoff are every loop's (see Options).
	Instance       string
	ResyncInterval time.Duration
	LeaseTTL       time.Duration
	LeaseRetry     time.Duration
	RetryBackoff   time.Duration
	MaxBackoff     time.Duration
	// Recheck is how often the fleet reads the clusters again without
	// being woken, and tries again to reach a cluster it could not dial.
	// Default 10 seconds.
	Recheck time.Duration
	// DataSources fetches every cluster's external data sources, in the
	// loop that holds the cluster's lease; nil: they are not fetched.
	DataSources       *datasource.Fetcher
	DataSourceMetrics *datasource.Metrics
	Logger            logr.Logger
	Metrics           *FleetMetrics
}

// Fleet runs one Loop per cluster: the default cluster's, and one for every
// cluster of the store. The loops share one compiled copy of desired state
// and nothing else: each has its own databroker client, lease, view,
// status, health and metrics, so that a cluster that is slow or down holds
// up no other. Loops start as clusters are added and stop as they go.
type Fleet struct {
	opts FleetOptions
	log  logr.Logger
	src  *source
	def  *Loop

	mu      sync.Mutex
	members map[string]*member
	// check wakes the fleet to look at the clusters again.
	check chan struct{}
}

// member is the loop of one added cluster.
type member struct {
	loop   *Loop
	client *databroker.Client
	name   string
	// conn is what the loop's client was dialled with; a change of it
	// restarts the loop.
	conn     string
	retiring bool
	// version is the version of the cluster object last looked at: the
	// store feed wakes the fleet on every write, and a cluster that has not
	// changed needs no second read with its secret.
	version int64
	stop    context.CancelFunc
	done    chan struct{}
}

// NewFleet returns a fleet; Run starts it.
func NewFleet(opts FleetOptions) *Fleet {
	if opts.Recheck <= 0 {
		opts.Recheck = 10 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewFleetMetrics(nil)
	}
	f := &Fleet{
		opts: opts, log: opts.Logger, src: newSource(opts.Store),
		members: map[string]*member{}, check: make(chan struct{}, 1),
	}
	f.def = f.newLoop(opts.Default, store.DefaultClusterID, "default", store.DefaultClusterName)
	return f
}

func (f *Fleet) newLoop(client *databroker.Client, cluster, name, label string) *Loop {
	l := newLoop(Options{
		Store: f.opts.Store, Client: client, Cluster: cluster, Name: name, Instance: f.opts.Instance,
		ResyncInterval: f.opts.ResyncInterval, LeaseTTL: f.opts.LeaseTTL, LeaseRetry: f.opts.LeaseRetry,
		RetryBackoff: f.opts.RetryBackoff, MaxBackoff: f.opts.MaxBackoff,
		DataSources: f.opts.DataSources, DataSourceMetrics: f.opts.DataSourceMetrics, Label: label,
		Logger: f.opts.Logger.WithValues("cluster", label), Metrics: f.opts.Metrics.For(label, cluster),
	}, f.src, f)
	f.src.subscribe(l)
	return l
}

// Default returns the default cluster's loop.
func (f *Fleet) Default() *Loop { return f.def }

// Databroker returns a client of a cluster's databroker: the default
// cluster's, or the one the fleet dialled for an added cluster. Every
// instance dials every cluster, whether or not it holds the cluster's lease.
func (f *Fleet) Databroker(id string) (databrokerpb.DataBrokerServiceClient, error) {
	if id == store.DefaultClusterID {
		return f.opts.Default.RPC(), nil
	}
	f.mu.Lock()
	m, ok := f.members[id]
	f.mu.Unlock()
	switch {
	case !ok:
		return nil, fmt.Errorf("this instance is not connected to cluster %s (see the cluster's health)", id)
	case m.retiring:
		return nil, fmt.Errorf("cluster %s is being deleted", m.name)
	}
	return m.client.RPC(), nil
}

// Liveness reports on the default cluster's loop: the one every console
// has, whatever clusters were added.
func (f *Fleet) Liveness() *Liveness { return f.def.Liveness() }

// Resync asks every loop for a pass that compares everything.
func (f *Fleet) Resync() {
	f.def.Resync()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.members {
		m.loop.Resync()
	}
}

// ClusterState is how one cluster's loop is doing.
type ClusterState struct {
	ID, Name string
	// Status says in one line what the loop does.
	Status string
	// Ready is true once the loop did its first job (see Liveness.Ready).
	Ready    bool
	Retiring bool
}

// States reports on every loop, the default cluster's first, then by name.
func (f *Fleet) States() []ClusterState {
	state := func(id, name string, l *Loop, retiring bool) ClusterState {
		s := ClusterState{ID: id, Name: name, Status: l.live.Status(), Retiring: retiring}
		select {
		case <-l.live.Ready():
			s.Ready = true
		default:
		}
		return s
	}
	f.mu.Lock()
	out := make([]ClusterState, 0, len(f.members)+1)
	for id, m := range f.members {
		out = append(out, state(id, m.name, m.loop, m.retiring))
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b ClusterState) int { return strings.Compare(a.Name, b.Name) })
	return append([]ClusterState{state(store.DefaultClusterID, store.DefaultClusterName, f.def, false)}, out...)
}

// Run runs the default cluster's loop and one loop per cluster of the
// store until ctx ends.
func (f *Fleet) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	// The default cluster's loop ends with the fleet, however the fleet
	// ends (its context, or the store's change feed).
	defCtx, stopDefault := context.WithCancel(ctx)
	defer stopDefault()
	var defErr error
	wg.Go(func() { defErr = f.def.Run(defCtx) })
	defer f.stopAll()
	sub := f.opts.Store.Subscribe(ctx)
	defer sub.Close()
	tick := time.NewTicker(f.opts.Recheck)
	defer tick.Stop()
	for {
		if err := f.sync(ctx); err != nil && ctx.Err() == nil {
			f.log.Error(err, "read the clusters; trying again", "in", f.opts.Recheck)
		}
		select {
		case <-ctx.Done():
			// The default loop's error is known once it has returned.
			wg.Wait()
			return defErr
		case _, ok := <-sub.C:
			if !ok && ctx.Err() == nil {
				return errors.New("store change feed ended")
			}
		case <-f.check:
		case <-tick.C:
		}
	}
}

// sync starts, restarts and stops loops to match the clusters of the store,
// and deletes retiring clusters whose databroker is clean.
func (f *Fleet) sync(ctx context.Context) error {
	res, err := f.opts.Store.List(ctx, store.KindCluster, store.ListQuery{})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, obj := range res.Objects {
		c := obj.(*store.Cluster)
		seen[c.ID] = true
		f.mu.Lock()
		m := f.members[c.ID]
		f.mu.Unlock()
		if m != nil && m.retiring && c.Retiring {
			f.drain(ctx, c, m)
			continue
		}
		if m != nil && m.version == c.Version {
			continue
		}
		full, err := f.opts.Store.Get(ctx, store.KindCluster, c.ID, store.WithSecrets())
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		c = full.(*store.Cluster)
		conn := connection(c)
		if m != nil && m.conn == conn {
			f.mu.Lock()
			m.name, m.retiring, m.version = c.Name, c.Retiring, c.Version
			f.mu.Unlock()
			if c.Retiring {
				// Its loop may have emptied its databroker already.
				f.drain(ctx, c, m)
			}
			continue
		}
		if m != nil {
			f.log.Info("the cluster's name or connection changed; restarting its loop", "cluster", c.Name)
			f.stopMember(c.ID)
		}
		f.start(ctx, c, conn)
	}
	f.mu.Lock()
	var gone []string
	for id := range f.members {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	f.mu.Unlock()
	for _, id := range gone {
		f.stopMember(id)
	}
	return nil
}

// connection is what a loop is made with: its client, and its name, which
// labels its metrics and logs. A change of any of it restarts the loop.
func connection(c *store.Cluster) string {
	return fmt.Sprintf("%s\x00%s\x00%x\x00%v\x00%v\x00%x\x00%v", c.Name, c.DatabrokerServiceURL, c.SharedSecret,
		deref(c.InsecureSkipVerify), deref(c.OverrideCertificateName), c.CertificateAuthority, deref(c.CertificateAuthorityFile))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// start dials a cluster and runs its loop. A cluster that cannot be dialled
// (an unreadable certificate authority file) gets the error as its health
// and is tried again on the next check.
func (f *Fleet) start(ctx context.Context, c *store.Cluster, conn string) {
	client, err := f.opts.Dial(c)
	if err != nil {
		f.log.Error(err, "cannot reach the cluster's databroker", "cluster", c.Name)
		now := time.Now()
		h := store.Health{Name: c.ID, Holder: f.opts.Instance, LastError: "cannot connect: " + err.Error(), LastErrorAt: now, UpdatedAt: now}
		if err := f.opts.Store.SetHealth(ctx, h); err != nil {
			f.log.Error(err, "record the cluster's health", "cluster", c.Name)
		}
		return
	}
	l := f.newLoop(client, c.ID, c.ID, c.Name)
	lctx, stop := context.WithCancel(ctx)
	m := &member{loop: l, client: client, name: c.Name, conn: conn, retiring: c.Retiring, version: c.Version, stop: stop, done: make(chan struct{})}
	f.mu.Lock()
	f.members[c.ID] = m
	f.mu.Unlock()
	f.log.Info("writing to cluster", "cluster", c.Name, "id", c.ID, "url", c.DatabrokerServiceURL)
	go func() {
		defer close(m.done)
		if err := l.Run(lctx); err != nil {
			f.log.Error(err, "cluster loop ended", "cluster", c.Name)
		}
	}()
}

// stopMember stops a cluster's loop and closes its client.
func (f *Fleet) stopMember(id string) {
	f.mu.Lock()
	m, ok := f.members[id]
	delete(f.members, id)
	f.mu.Unlock()
	if !ok {
		return
	}
	m.stop()
	<-m.done
	f.src.unsubscribe(m.loop)
	f.forget(m.name, id)
	if err := m.client.Close(); err != nil {
		f.log.Error(err, "close the cluster's databroker client", "cluster", m.name)
	}
	f.log.Info("stopped writing to cluster", "cluster", m.name, "id", id)
}

// forget drops the metrics of a cluster that is gone, but the series of its
// name while another cluster has that name (a deleted cluster gives its
// name up before its loop ends).
func (f *Fleet) forget(name, id string) {
	f.mu.Lock()
	taken := name == store.DefaultClusterName
	for _, m := range f.members {
		taken = taken || m.name == name
	}
	f.mu.Unlock()
	f.opts.Metrics.Forget(name, id, !taken)
}

func (f *Fleet) stopAll() {
	f.mu.Lock()
	ids := make([]string, 0, len(f.members))
	for id := range f.members {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	for _, id := range ids {
		f.stopMember(id)
	}
}

// drain deletes a retiring cluster for good once its loop, writing, has
// removed every record of the console from its databroker.
func (f *Fleet) drain(ctx context.Context, c *store.Cluster, m *member) {
	id := c.ID
	view := m.loop.view.Load()
	// The retiring write and the deletion of the cluster's objects are
	// one commit: a pass that compiled it or later wrote their removal.
	if view == nil || view.Len() > 0 || m.loop.synced.Load() < c.Version || !m.loop.feedsClean() {
		return
	}
	if err := f.opts.Retired(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		f.log.Error(err, "delete the retired cluster", "cluster", m.name)
		return
	}
	f.log.Info("removed every record of the deleted cluster from its databroker", "cluster", m.name)
	f.stopMember(id)
}

// holds reports whether a cluster's databroker holds an object's record
// at version: a route that moved there may then leave the cluster it moved
// from. The cluster's loop here answers from its view when it writes;
// otherwise (another instance holds that cluster's lease) the status its
// writer stored says so: synced at that version or later.
func (f *Fleet) holds(owner string, key compile.ObjectKey, version int64) bool {
	l := f.def
	if owner != store.DefaultClusterID {
		f.mu.Lock()
		m, ok := f.members[owner]
		f.mu.Unlock()
		if !ok {
			return false
		}
		l = m.loop
	}
	if l.view.Load() != nil {
		return l.holds(key)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := f.opts.Store.Status(ctx, key.Kind, key.ID)
	if err != nil {
		f.log.Error(err, "read the status of a moved object", "kind", key.Kind, "id", key.ID)
		return false
	}
	st, ok := got[key.ID]
	return ok && st.State == store.SyncSynced && st.ObjectVersion >= version
}

// placed is called by a loop that wrote records: loops keeping records
// that moved away look again, and a retiring cluster may be clean now.
func (f *Fleet) placed(by *Loop) {
	wake := func(l *Loop) {
		if l != by && l.deferred.any() {
			signal(l.wake)
		}
	}
	wake(f.def)
	f.mu.Lock()
	for _, m := range f.members {
		wake(m.loop)
	}
	f.mu.Unlock()
}

// passed is called by a loop after a successful pass: a retiring cluster's
// loop may have emptied its databroker, which the fleet looks at.
func (f *Fleet) passed(l *Loop) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.members {
		if m.loop == l && m.retiring {
			signal(f.check)
			return
		}
	}
}

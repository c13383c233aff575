package reconcile_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

// fleetWorld is a console writing to five clusters: the default one and
// three more on embedded databrokers over sockets, and one on Pomerium's
// own databroker in a process of its own. Every secret of an embedded one
// starts with "never-shown-cluster-secret-", which hack/test-summary.sh
// looks for in the whole output of a test run.
type fleetWorld struct {
	t     *testing.T
	ctx   context.Context
	store store.Store
	app   *manage.App
	admin *manage.Caller
	fleet *reconcile.Fleet
	// brokers by cluster name: where each cluster's records are read.
	brokers map[string]*brokerAt
	ids     map[string]string // cluster name -> id
	// logs is everything the console logged, through log.
	logs *lockedBuffer
	log  logr.Logger
	// fleetStop stops fleet, which releases its leases.
	fleetStop func()
}

// brokerAt is one cluster's databroker.
type brokerAt struct {
	addr    string
	secret  []byte
	mem     *memory.Server           // an embedded one
	process *pomeriumtest.Databroker // Pomerium's
	client  *databroker.Client
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(prefix + " " + args + "\n")
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFleetWorld(t *testing.T) *fleetWorld {
	t.Helper()
	// What the console logs goes to the test's output too, where
	// hack/test-summary.sh looks for secrets.
	logs := &lockedBuffer{}
	log := funcr.New(func(prefix, args string) { logs.write(prefix, args); t.Log(prefix, args) }, funcr.Options{Verbosity: 1})
	st, err := postgres.Open(t.Context(), postgres.Options{URL: srv.NewTestDatabase(t), EncryptionKey: make([]byte, 32), Logger: log, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	w := &fleetWorld{t: t, ctx: t.Context(), store: st, brokers: map[string]*brokerAt{}, ids: map[string]string{}, logs: logs}
	w.app = manage.New(manage.Options{Store: st, Logger: log})
	if w.admin, err = w.app.System(w.ctx, "admin@example.com", store.OriginAPI); err != nil {
		t.Fatal(err)
	}
	for name, tail := range map[string]string{"default": "dflt0", "alpha": "alpha", "gamma": "gamma", "delta": "delta"} {
		w.brokers[name] = w.startEmbedded("never-shown-cluster-secret-"+tail, "127.0.0.1:0")
	}
	p, err := pomeriumtest.Start(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	w.brokers["beta"] = &brokerAt{addr: p.Addr(), secret: p.SharedSecret(), process: p, client: w.dial(p.Addr(), p.SharedSecret())}
	for _, name := range []string{"alpha", "beta", "gamma", "delta"} {
		b := w.brokers[name]
		added, err := w.app.AddCluster(w.ctx, w.admin, manage.ClusterInput{Cluster: &store.Cluster{
			ObjectMeta: store.ObjectMeta{Name: name}, DatabrokerServiceURL: "http://" + b.addr, SharedSecret: b.secret,
		}})
		if err != nil {
			t.Fatal(err)
		}
		w.ids[name] = added.ID
	}
	w.ids["default"] = store.DefaultClusterID
	w.refreshAdmin()
	w.log = log
	w.fleet, w.fleetStop = w.startFleet("fleet-test", func(string) bool { return true })
	return w
}

// startFleet runs a fleet as one instance of the console, reaching only
// the clusters reach names (the default cluster always): a cluster it may
// not reach gets a client of a port nobody listens on.
func (w *fleetWorld) startFleet(instance string, reach func(cluster string) bool) (*reconcile.Fleet, func()) {
	w.t.Helper()
	f := reconcile.NewFleet(reconcile.FleetOptions{
		Store: w.store, Default: w.brokers["default"].client, Instance: instance,
		Dial: func(c *store.Cluster) (*databroker.Client, error) {
			if !reach(c.Name) {
				c = store.Clone(c)
				c.DatabrokerServiceURL = "http://127.0.0.1:1"
			}
			return reconcile.DialCluster(c, w.log)
		},
		Retired: func(ctx context.Context, id string) error {
			c, err := w.app.System(ctx, "reconciler", store.OriginAPI)
			if err != nil {
				return err
			}
			return w.app.ForgetCluster(ctx, c, id)
		},
		ResyncInterval: time.Hour, LeaseTTL: 3 * time.Second, LeaseRetry: 50 * time.Millisecond,
		RetryBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Recheck: 100 * time.Millisecond,
		DataSources: datasource.NewFetcher(datasource.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}), datasource.Limits{}),
		Logger:      w.log.WithName(instance),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			w.t.Errorf("fleet %s: %v", instance, err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	w.t.Cleanup(stop)
	return f, stop
}

func (w *fleetWorld) startEmbedded(secret, addr string) *brokerAt {
	w.t.Helper()
	m := memory.New(memory.Options{SharedSecret: []byte(secret), Logger: logr.Discard()})
	a, err := m.Start(addr)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(m.Stop)
	return &brokerAt{addr: a.String(), secret: []byte(secret), mem: m, client: w.dial(a.String(), []byte(secret))}
}

func (w *fleetWorld) dial(addr string, secret []byte) *databroker.Client {
	w.t.Helper()
	c, err := databroker.Dial(databroker.Options{URL: "http://" + addr, SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = c.Close() })
	return c
}

// refreshAdmin reads the admin's roles again, after namespaces changed.
func (w *fleetWorld) refreshAdmin() {
	var err error
	if w.admin, err = w.app.System(w.ctx, "admin@example.com", store.OriginAPI); err != nil {
		w.t.Fatal(err)
	}
}

// dump reads every record of the console's types from a cluster's
// databroker, by type and id; nil when it does not answer.
func (w *fleetWorld) dump(name string) map[string]map[string]*pb.Record {
	out := map[string]map[string]*pb.Record{}
	for _, rt := range compile.RecordTypes {
		out[rt] = map[string]*pb.Record{}
		if _, err := w.brokers[name].client.SyncLatest(w.ctx, rt, func(r *pb.Record) { out[rt][r.Id] = r }); err != nil {
			return nil
		}
	}
	return out
}

// holds reports what a cluster's databroker holds of the records of one
// type: the ids, sorted.
func (w *fleetWorld) holds(name, recordType string) []string {
	d := w.dump(name)
	if d == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(d[recordType]))
}

func (w *fleetWorld) eventually(what string, cond func() (bool, string)) {
	w.t.Helper()
	wait.Until(w.t, what, 20*time.Second, cond)
}

func (w *fleetWorld) route(namespace, name, from string) *manage.Route {
	w.t.Helper()
	r, err := w.app.SetRoute(w.ctx, w.admin, manage.RouteInput{Route: &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: namespace, Name: name},
		Spec:       &configpb.Route{From: from, To: []string{"https://upstream.internal"}},
	}})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func sameIDs(want ...string) []string { slices.Sort(want); return want }

func anypbOf(m proto.Message) (*anypb.Any, error) { return anypb.New(m) }

func TestFleet(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	guard, err := w.app.SetPolicy(w.ctx, w.admin, manage.PolicyInput{Policy: &store.Policy{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "guard-rail"}, Enforced: true,
		PPL: `allow: {and: [{domain: {is: example.com}}]}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The same from in every cluster: each is a Pomerium of its own, so
	// none of them conflicts with another.
	routes := map[string]*manage.Route{}
	for name, id := range w.ids {
		routes[name] = w.route(id, "app-"+name, "https://app.example.com")
	}

	t.Run("each cluster holds its own records and the guard-rails", func(t *testing.T) {
		for name, id := range w.ids {
			w.eventually("the records of "+name, func() (bool, string) {
				d := w.dump(name)
				if d == nil {
					return false, "no answer"
				}
				got := fmt.Sprint(slices.Sorted(maps.Keys(d[compile.RecordTypeRoute])), slices.Sorted(maps.Keys(d[compile.RecordTypePolicy])))
				want := fmt.Sprint(sameIDs(routes[name].ID), sameIDs(guard.ID))
				return got == want, got + ", want " + want
			})
			d := w.dump(name)
			var r configpb.Route
			if err := d[compile.RecordTypeRoute][routes[name].ID].GetData().UnmarshalTo(&r); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(r.PolicyIds, guard.ID) {
				t.Errorf("the route of %s does not carry the Global guard-rail: %v", name, r.PolicyIds)
			}
			if name != "default" {
				// The cluster's own settings; the default cluster has none
				// until they are written.
				if got := slices.Sorted(maps.Keys(d[compile.RecordTypeSettings])); !slices.Equal(got, []string{id}) {
					t.Errorf("settings in %s: %v, want its own", name, got)
				}
			}
		}
	})

	t.Run("a cluster that is down holds up no other", func(t *testing.T) {
		if err := w.brokers["beta"].process.Stop(); err != nil {
			t.Fatal(err)
		}
		// Objects of beta wait, saying why.
		w.route(w.ids["beta"], "waits", "https://waits.example.com")
		w.eventually("the reason beta's objects wait", func() (bool, string) {
			page, err := w.app.ListRoutes(w.ctx, w.admin, manage.ListQuery{Namespace: w.ids["beta"], Name: "waits"})
			if err != nil || len(page.Items) != 1 {
				return false, fmt.Sprint(page, err)
			}
			st := page.Items[0].Status
			return st != nil && st.State == store.SyncPending && strings.Contains(st.Reason, "cannot write"), fmt.Sprint(st)
		})
		for _, name := range []string{"default", "alpha", "gamma", "delta"} {
			edited := w.route(w.ids[name], "edit-"+name, "https://edit-"+name+".example.com")
			routes["edit-"+name] = edited
			w.eventually(name+" takes an edit while beta is down", func() (bool, string) {
				got := w.holds(name, compile.RecordTypeRoute)
				return slices.Contains(got, edited.ID), fmt.Sprint(got)
			})
		}
	})

	t.Run("a route moves: put in the new cluster, then deleted from the old", func(t *testing.T) {
		// gamma's databroker goes; a route moved there from alpha stays in
		// alpha until gamma holds it.
		gamma := w.brokers["gamma"]
		gamma.mem.Stop()
		r := routes["edit-alpha"]
		moved := store.Clone(r.Route)
		moved.NamespaceID = w.ids["gamma"]
		written, err := w.app.SetRoute(w.ctx, w.admin, manage.RouteInput{Route: moved})
		if err != nil {
			t.Fatal(err)
		}
		w.eventually("alpha's loop past the move", func() (bool, string) {
			return w.fleet.Synced(w.ids["alpha"]) >= written.Version, fmt.Sprint(w.fleet.Synced(w.ids["alpha"]))
		})
		if got := w.holds("alpha", compile.RecordTypeRoute); !slices.Contains(got, r.ID) {
			t.Fatalf("alpha dropped the route before gamma held it: %v", got)
		}
		w.brokers["gamma"] = w.startEmbedded(string(gamma.secret), gamma.addr)
		w.eventually("the route in gamma and out of alpha", func() (bool, string) {
			inGamma, inAlpha := w.holds("gamma", compile.RecordTypeRoute), w.holds("alpha", compile.RecordTypeRoute)
			return slices.Contains(inGamma, r.ID) && !slices.Contains(inAlpha, r.ID), fmt.Sprint(inGamma, inAlpha)
		})
	})

	t.Run("a deleted cluster's records go, and then the cluster", func(t *testing.T) {
		// A record of another writer in alpha's databroker, which stays.
		theirs, err := anypbOf(&configpb.Route{Id: new("theirs"), From: "https://theirs.example.com", OriginatorId: new("someone-else")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.brokers["alpha"].client.Put(w.ctx, []*pb.Record{{Type: compile.RecordTypeRoute, Id: "theirs", Data: theirs}}); err != nil {
			t.Fatal(err)
		}
		// A data source of alpha, whose records go with the cluster too.
		dir := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
			_, _ = rw.Write([]byte(`[{"id": "u1"}]`)) // a client gone is the test's business
		}))
		t.Cleanup(dir.Close)
		if _, err := w.app.SetDataSource(w.ctx, w.admin, manage.DataSourceInput{ClusterID: w.ids["alpha"],
			DataSource: &store.DataSource{URL: dir.URL, RecordType: "pomerium.io/DirectoryUser", ForeignKey: "id"}}); err != nil {
			t.Fatal(err)
		}
		directory := func() []string {
			var ids []string
			if _, err := w.brokers["alpha"].client.SyncLatest(w.ctx, "pomerium.io/DirectoryUser", func(r *pb.Record) { ids = append(ids, r.Id) }); err != nil {
				return []string{"no answer"}
			}
			return ids
		}
		w.eventually("the data source's record in alpha", func() (bool, string) {
			got := directory()
			return slices.Equal(got, []string{"u1"}), fmt.Sprint(got)
		})
		if err := w.app.DeleteCluster(w.ctx, w.admin, w.ids["alpha"], nil); err != nil {
			t.Fatal(err)
		}
		w.eventually("alpha's databroker emptied of ours and the cluster forgotten", func() (bool, string) {
			d := w.dump("alpha")
			var left []string
			for _, recs := range d {
				left = append(left, slices.Collect(maps.Keys(recs))...)
			}
			_, err := store.Get[*store.Cluster](w.ctx, w.store, w.ids["alpha"])
			return d != nil && slices.Equal(left, []string{"theirs"}) && err != nil, fmt.Sprintf("%v, %v", left, err)
		})
		if got := directory(); len(got) != 0 {
			t.Errorf("the deleted cluster was forgotten with its data source's records left: %v", got)
		}
		for _, name := range []string{"default", "gamma", "delta"} {
			if got := w.holds(name, compile.RecordTypeRoute); len(got) == 0 {
				t.Errorf("%s lost its routes: %v", name, got)
			}
		}
	})

	t.Run("no secret in the log or the activity log", func(t *testing.T) {
		page, err := w.store.Activity(w.ctx, store.ActivityQuery{EntityType: store.KindCluster, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var snapshots strings.Builder
		for _, e := range page.Entries {
			snapshots.WriteString(e.Snapshot + e.Diff)
		}
		for name, b := range w.brokers {
			for _, form := range []string{string(b.secret), base64.StdEncoding.EncodeToString(b.secret), hex.EncodeToString(b.secret)} {
				if strings.Contains(w.logs.String(), form) {
					t.Errorf("the log holds the secret of %s", name)
				}
				if strings.Contains(snapshots.String(), form) {
					t.Errorf("the activity log holds the secret of %s", name)
				}
			}
		}
		if !strings.Contains(snapshots.String(), `"has_shared_secret": true`) {
			t.Errorf("the activity log does not say a secret is stored:\n%s", snapshots.String())
		}
	})
}

// Two instances of the console, each reaching a cluster the other cannot:
// a route that moves from the cluster one writes to the cluster the other
// writes leaves the old cluster once the new one's writer stored that it
// holds it, which the first instance reads from the status.
func TestFleetMoveAcrossInstances(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t)
	// The world's own instance reaches every cluster; it must not write
	// alpha or gamma here.
	w.fleetStop()
	w.startFleet("a", func(name string) bool { return name != "gamma" })
	w.startFleet("b", func(name string) bool { return name != "alpha" })
	r := w.route(w.ids["alpha"], "moving", "https://moving.example.com")
	w.eventually("the route in alpha", func() (bool, string) {
		got := w.holds("alpha", compile.RecordTypeRoute)
		return slices.Contains(got, r.ID), fmt.Sprint(got)
	})
	moved := store.Clone(r.Route)
	moved.NamespaceID = w.ids["gamma"]
	if _, err := w.app.SetRoute(w.ctx, w.admin, manage.RouteInput{Route: moved}); err != nil {
		t.Fatal(err)
	}
	w.eventually("the route in gamma and out of alpha", func() (bool, string) {
		inGamma, inAlpha := w.holds("gamma", compile.RecordTypeRoute), w.holds("alpha", compile.RecordTypeRoute)
		return slices.Contains(inGamma, r.ID) && !slices.Contains(inAlpha, r.ID), fmt.Sprint(inGamma, inAlpha)
	})
}

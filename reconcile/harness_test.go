package reconcile_test

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

var (
	srv *pgtest.Server
	// pomerium is Pomerium v0.33.0's own databroker, which the tests take
	// in turns (see onEachBroker).
	pomerium *pomeriumtest.Databroker
)

func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(withPostgres{m}, &pomerium)) }

// withPostgres runs the tests with the package's PostgreSQL server.
type withPostgres struct{ m *testing.M }

func (w withPostgres) Run() int { return pgtest.Main(w.m, &srv) }

var (
	secret = []byte(strings.Repeat("s", 32))
	actor  = store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}
)

// brokerKind is a databroker the loop's tests run against.
type brokerKind string

const (
	// embeddedBroker is the console's own imitation (databroker/memory),
	// one per test, over a real socket.
	embeddedBroker brokerKind = "embedded"
	// pomeriumBroker is Pomerium v0.33.0's databroker (dbserver), one per
	// package, which each test has to itself while it runs.
	pomeriumBroker brokerKind = "pomerium"
)

// onEachBroker runs test against the embedded databroker and against
// Pomerium's own, as parallel subtests: the embedded one is our imitation,
// Pomerium's is the reference.
func onEachBroker(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	for _, kind := range []brokerKind{embeddedBroker, pomeriumBroker} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, kind))
		})
	}
}

// env is one test's world: a Postgres store, a databroker over a real
// socket, and any number of console loops.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  store.Store
	kind   brokerKind
	secret []byte
	broker *memory.Server // the embedded databroker; nil for Pomerium's
	addr   string
	client *databroker.Client // a plain client, as another writer or an observer
}

func newEnv(t *testing.T, kind brokerKind) *env {
	t.Helper()
	st, err := postgres.Open(t.Context(), postgres.Options{
		URL: srv.NewTestDatabase(t), EncryptionKey: make([]byte, 32), Logger: testr.New(t), MaxConns: 4,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() }) // closed twice by some tests; the second close is a no-op
	e := &env{t: t, ctx: t.Context(), store: st, kind: kind}
	switch kind {
	case embeddedBroker:
		e.secret = secret
		e.startEmbedded("127.0.0.1:0")
	case pomeriumBroker:
		// Cleared, and ours until the test's cleanups (which stop its
		// loops first) have run.
		pomerium.Exclusive(t)
		e.secret, e.addr = pomerium.SharedSecret(), pomerium.Addr()
		e.client = e.dial()
	default:
		t.Fatalf("unknown databroker %q", kind)
	}
	return e
}

// startEmbedded starts a fresh (empty, new server version) embedded
// databroker.
func (e *env) startEmbedded(addr string) {
	e.t.Helper()
	b := memory.New(memory.Options{SharedSecret: secret, Logger: testr.New(e.t).WithName("broker")})
	a, err := b.Start(addr)
	if err != nil {
		e.t.Fatalf("start databroker: %v", err)
	}
	e.t.Cleanup(b.Stop)
	moved := e.addr != a.String()
	e.broker, e.addr = b, a.String()
	if moved {
		e.client = e.dial()
	}
}

// restartBroker stops the databroker and starts it again on the same
// address, empty and under a new server version.
func (e *env) restartBroker() {
	e.t.Helper()
	switch e.kind {
	case embeddedBroker:
		e.broker.Stop()
		e.startEmbedded(e.addr)
	case pomeriumBroker:
		if err := pomerium.Restart(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
}

// serverVersion asks the databroker for its server version.
func (e *env) serverVersion() uint64 {
	e.t.Helper()
	info, err := e.client.ServerInfo(e.ctx)
	if err != nil {
		e.t.Fatalf("server info: %v", err)
	}
	return info.GetServerVersion()
}

// intercept puts intercept in front of every unary call of the loops
// started from now on, so that a test can make the databroker refuse some
// of them: the embedded databroker is replaced by a fresh one registered
// behind it, Pomerium's is reached through a forwarder behind it.
func (e *env) intercept(intercept grpc.UnaryServerInterceptor) {
	e.t.Helper()
	if e.kind == pomeriumBroker {
		e.addr = pomerium.Intercepted(e.t, intercept)
		e.client = e.dial()
		return
	}
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(intercept))
	memory.New(memory.Options{SharedSecret: secret, Logger: testr.New(e.t).WithName("broker")}).Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }() // ends with Stop below
	e.t.Cleanup(gs.Stop)
	e.addr = lis.Addr().String()
	e.client = e.dial()
}

func (e *env) dial() *databroker.Client {
	e.t.Helper()
	c, err := databroker.Dial(databroker.Options{URL: "http://" + e.addr, SharedSecret: e.secret, Logger: testr.New(e.t)})
	if err != nil {
		e.t.Fatalf("dial databroker: %v", err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// loop starts a console loop; stop ends it and waits for it to return.
type loop struct {
	*reconcile.Loop
	metrics *reconcile.Metrics
	stop    func()
}

func (e *env) startLoop(instance string) *loop {
	e.t.Helper()
	return e.startLoopOn(instance, e.store)
}

// startLoopOn starts a console loop reading st.
func (e *env) startLoopOn(instance string, st reconcile.Store) *loop {
	e.t.Helper()
	return e.startLoopWith(instance, st, nil)
}

// startLoopWith starts a loop as startLoopOn does, handing it to set (when
// not nil) before it runs.
func (e *env) startLoopWith(instance string, st reconcile.Store, set func(*reconcile.Loop)) *loop {
	e.t.Helper()
	m := reconcile.NewMetrics(nil)
	l := reconcile.New(reconcile.Options{
		Store: st, Client: e.dial(), Instance: instance, Metrics: m,
		ResyncInterval: time.Hour, LeaseTTL: 3 * time.Second, LeaseRetry: 50 * time.Millisecond,
		RetryBackoff: 50 * time.Millisecond, Logger: testr.New(e.t).WithName(instance),
	})
	if set != nil {
		set(l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			e.t.Errorf("loop %s: %v", instance, err)
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	e.t.Cleanup(stop)
	return &loop{Loop: l, metrics: m, stop: stop}
}

// records reads every live record of a type from the databroker. A
// databroker that is restarting answers nothing; callers poll, so that is
// logged and read as no records.
func (e *env) records(recordType string) map[string]*pb.Record {
	e.t.Helper()
	out := map[string]*pb.Record{}
	if _, err := e.client.SyncLatest(e.ctx, recordType, func(r *pb.Record) { out[r.Id] = r }); err != nil {
		e.t.Logf("sync latest: %v", err)
		return nil
	}
	return out
}

func (e *env) route(id string) *configpb.Route {
	e.t.Helper()
	rec, ok := e.records(compile.RecordTypeRoute)[id]
	if !ok {
		return nil
	}
	var r configpb.Route
	if err := rec.Data.UnmarshalTo(&r); err != nil {
		e.t.Fatalf("decode route record: %v", err)
	}
	return &r
}

// converged reports whether our records in the databroker are exactly those
// of a fresh compilation of the store, and if not, what differs.
func (e *env) converged() (bool, string) {
	e.t.Helper()
	st, err := e.store.Load(e.ctx, store.WithSecrets())
	if err != nil {
		e.t.Fatalf("load desired state: %v", err)
	}
	if st.Settings != nil && st.Settings.Version == 0 {
		st.Settings = nil // as the loop does: settings nobody set are not written
	}
	want := map[string]string{}
	for _, rec := range compile.Compile(st).Records {
		want[rec.Type+" "+rec.Id] = string(rec.Data.GetValue())
	}
	got := map[string]string{}
	for _, rt := range compile.RecordTypes {
		for id, rec := range e.records(rt) {
			got[rt+" "+id] = string(rec.Data.GetValue())
		}
	}
	for k, v := range want {
		if got[k] != v {
			return false, "record " + k + " missing or different"
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return false, "record " + k + " not compiled"
		}
	}
	return true, ""
}

// eventually polls cond until it holds or the deadline passes.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	wait.For(e.t, what, 15*time.Second, cond)
}

func (e *env) put(obj store.Object) store.Object {
	e.t.Helper()
	out, err := e.store.Apply(e.ctx, actor, &store.PutOp{Object: obj})
	if err != nil {
		e.t.Fatalf("put %s: %v", obj.Kind(), err)
	}
	return out[0]
}

func (e *env) status(k store.Kind, id string) store.ObjectStatus {
	e.t.Helper()
	got, err := e.store.Status(e.ctx, k, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return got[id]
}

func namespace(parent, name string) *store.Namespace {
	return &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}
}

func policy(ns, name, ppl string, enforced bool) *store.Policy {
	return &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, PPL: ppl, Enforced: enforced}
}

func route(ns, name, from string, policyIDs ...string) *store.Route {
	return &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
		Spec:       &configpb.Route{From: from, To: []string{"http://upstream.internal:8080"}, PolicyIds: policyIDs},
	}
}

func recordOf(t *testing.T, recordType, id string, msg proto.Message) *pb.Record {
	t.Helper()
	rec := &pb.Record{Type: recordType, Id: id}
	var err error
	if rec.Data, err = anypb.New(msg); err != nil {
		t.Fatal(err)
	}
	return rec
}

// passCount is how many passes a loop has finished.
func passCount(t testing.TB, m *reconcile.Metrics) uint64 {
	t.Helper()
	var out dto.Metric
	if err := m.Duration.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetHistogram().GetSampleCount()
}

// selfSigned returns a PEM certificate for host and its PEM private key.
func selfSigned(t *testing.T, host string) (certPEM, keyPEM []byte) {
	return testcert.SelfSigned(t, []string{host}, time.Time{})
}

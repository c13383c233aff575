package datasource

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

var actor = store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}

// loopback lets fetches reach the tests' servers on 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// env is one test's world: an embedded store, an embedded databroker over
// a socket, and a runner of the default cluster's data sources.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  store.Store
	client *databroker.Client
	runner *Runner
}

func newEnv(t *testing.T, allowed []netip.Prefix, limits Limits) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Options{Path: filepath.Join(t.TempDir(), "console.db"), EncryptionKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() }) // the test is over; nothing is lost
	secret := bytes.Repeat([]byte{7}, 32)
	srv := memory.New(memory.Options{SharedSecret: secret})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	client, err := databroker.Dial(databroker.Options{URL: "http://" + addr.String(), SharedSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	r := NewRunner(Options{Store: st, Client: client, Cluster: store.DefaultClusterID, Label: "default",
		Fetcher: NewFetcher(NewGuard(allowed), limits), Instance: "test", Retry: 20 * time.Millisecond, Logger: testr.New(t)})
	r.sources, r.views = map[string]*scheduled{}, map[string]map[string]*pb.Record{}
	return &env{t: t, ctx: t.Context(), store: st, client: client, runner: r}
}

// addSource stores a data source of the default cluster.
func (e *env) addSource(url, recordType, foreignKey string) *store.DataSource {
	e.t.Helper()
	d := &store.DataSource{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID},
		URL: url, RecordType: recordType, ForeignKey: foreignKey, Headers: map[string]string{"Authorization": "Bearer t0k3n"}}
	out, err := store.Put(e.ctx, e.store, actor, d, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// step reads the data sources and fetches one of them at once, as the
// runner's schedule does when it is due, and returns its status.
func (e *env) step(id string) store.DataSourceStatus {
	e.t.Helper()
	if err := e.runner.refresh(e.ctx); err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	s := e.runner.sources[id]
	if s == nil {
		e.t.Fatalf("data source %s is not scheduled", id)
	}
	res := e.runner.fetch(e.ctx, s.src)
	res.id = id
	e.runner.finish(e.ctx, res)
	return e.runner.statuses[id]
}

// records reads every record of a type from the databroker.
func (e *env) records(recordType string) map[string]*pb.Record {
	e.t.Helper()
	out := map[string]*pb.Record{}
	if _, err := e.client.SyncLatest(e.ctx, recordType, func(r *pb.Record) { out[r.GetId()] = r }); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// fields decodes a record's data.
func fields(t *testing.T, rec *pb.Record) map[string]any {
	t.Helper()
	s := &structpb.Struct{}
	if err := rec.GetData().UnmarshalTo(s); err != nil {
		t.Fatalf("record %s: %v", rec.GetId(), err)
	}
	return s.AsMap()
}

// putOther writes a record of another type, as Pomerium would.
func (e *env) putOther(recordType, id string) *pb.Record {
	e.t.Helper()
	data, err := anypb.New(&structpb.Struct{})
	if err != nil {
		e.t.Fatal(err)
	}
	got, err := e.client.Put(e.ctx, []*pb.Record{{Type: recordType, Id: id, Data: data}})
	if err != nil {
		e.t.Fatal(err)
	}
	return got[0]
}

// eventually polls cond until it holds.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	wait.For(e.t, what, 15*time.Second, cond)
}

// server serves whatever body and content type a test sets, and counts
// requests and the Authorization header it saw last.
type server struct {
	*httptest.Server
	mu          sync.Mutex
	status      int
	body        []byte
	contentType string
	encoding    string
	auth        string
}

func newServer(t *testing.T) *server {
	s := &server{status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.auth = r.Header.Get("Authorization")
		if s.contentType != "" {
			w.Header().Set("Content-Type", s.contentType)
		}
		if s.encoding != "" {
			w.Header().Set("Content-Encoding", s.encoding)
		}
		w.WriteHeader(s.status)
		_, _ = w.Write(s.body) // a client gone is the test's business
	}))
	t.Cleanup(s.Close)
	return s
}

// serve sets what the server answers.
func (s *server) serve(status int, contentType, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.contentType, s.body, s.encoding = status, contentType, []byte(body), ""
}

// serveGzip answers body gzipped, said by Content-Encoding or not.
func (s *server) serveGzip(t *testing.T, contentType, body string, header bool) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.contentType, s.body, s.encoding = http.StatusOK, contentType, buf.Bytes(), ""
	if header {
		s.encoding = "gzip"
	}
}

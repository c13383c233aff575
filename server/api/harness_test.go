package api_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

// admin is listed in the config's administrators.
const admin = "admin@example.com"

// testVersion is the version the console under test reports.
const testVersion = "v0.0.0-test"

// audience is the console's address as Pomerium's assertions name it.
const audience = "console.example.com"

// env is one test's console: a PostgreSQL store, the real authenticator
// (its options changed by newEnv's edits) and the API over TLS, reached by
// a gRPC client (the kind the official client is made of) and a Connect
// client speaking JSON over HTTP/1.1.
type env struct {
	t     testing.TB
	ctx   context.Context
	store store.Store
	auth  *auth.Authenticator
	url   string
	conn  *grpc.ClientConn
	http  *http.Client // HTTP/1.1 only, for the Connect/JSON client
	roots *x509.CertPool
	// broker is the default cluster's databroker: the embedded one, over
	// a socket. brokers holds the databrokers of added clusters by id.
	broker    *databroker.Client
	brokersMu sync.Mutex
	brokers   map[string]*databroker.Client
}

func newEnv(t testing.TB, edits ...func(*auth.Options)) *env {
	t.Helper()
	ctx := t.Context()
	st, err := postgres.Open(ctx, postgres.Options{URL: srv.NewTestDatabase(t), EncryptionKey: make([]byte, 32), Logger: logFor(t), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	o := auth.Options{Store: st, Administrators: []string{admin}, Logger: logFor(t),
		Audience: []string{audience}, SigningKey: pomeriumPublicKeyPEM}
	for _, edit := range edits {
		edit(&o)
	}
	a, err := auth.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, store: st, auth: a, brokers: map[string]*databroker.Client{}}
	e.broker = e.startDatabroker()
	brokers := manage.DatabrokerFunc(func(id string) (databrokerpb.DataBrokerServiceClient, error) {
		if id == store.DefaultClusterID {
			return e.broker.RPC(), nil
		}
		e.brokersMu.Lock()
		b, ok := e.brokers[id]
		e.brokersMu.Unlock()
		if !ok {
			return nil, errors.New("not connected")
		}
		return b.RPC(), nil
	})
	app := manage.New(manage.Options{Store: st, Tokens: a, Databrokers: brokers, DefaultSharedSecret: brokerSecret, Logger: logFor(t)})
	ts, conn, roots := serveTLS(t, api.New(api.Options{App: app, Auth: a, Logger: logFor(t), Version: testVersion}).Handler())
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	e.url, e.conn, e.http, e.roots = ts.URL, conn, h1, roots
	return e
}

// serveTLS serves h over TLS with HTTP/2, as serve's listener does, and
// dials it with gRPC trusting its certificate alone (roots); both end
// with t.
func serveTLS(t testing.TB, h http.Handler) (ts *httptest.Server, conn *grpc.ClientConn, roots *x509.CertPool) {
	t.Helper()
	ts = httptest.NewUnstartedServer(h)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	roots = x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	conn, err := grpc.NewClient(ts.Listener.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return ts, conn, roots
}

// addDatabroker starts a databroker for the added cluster with id, which
// the console then reaches.
func (e *env) addDatabroker(id string) *databroker.Client {
	b := e.startDatabroker()
	e.brokersMu.Lock()
	defer e.brokersMu.Unlock()
	e.brokers[id] = b
	return b
}

// brokerSecret is the shared secret of every databroker of a test.
var brokerSecret = []byte("0123456789abcdef0123456789abcdef")

// startDatabroker starts an embedded databroker on loopback for this test
// and returns a client of it, as the console dials a cluster's.
func (e *env) startDatabroker() *databroker.Client {
	e.t.Helper()
	secret := brokerSecret
	srv := memory.New(memory.Options{SharedSecret: secret, Logger: logr.Discard()})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(srv.Stop)
	c, err := databroker.Dial(databroker.Options{URL: "http://" + addr.String(), SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// as returns a context whose gRPC calls carry token.
func as(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Pomerium "+token)
}

// bearer is a Connect client option that sends token on every call.
func bearer(token string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}))
}

// connectOpts are the options of a Connect/JSON client sending token.
func connectOpts(token string) []connect.ClientOption {
	return []connect.ClientOption{connect.WithProtoJSON(), bearer(token)}
}

// account creates a service account and returns a token for it, after
// granting it role in namespaceID (no grant for an empty role).
func (e *env) account(role store.Role, namespaceID string) string {
	e.t.Helper()
	if role == "" {
		return e.accountIn(namespaceID, role)
	}
	return e.accountIn(namespaceID, role, namespaceID)
}

// accountIn creates a service account in namespace home and returns a
// token for it, after granting it role in each of namespaces.
func (e *env) accountIn(home string, role store.Role, namespaces ...string) string {
	e.t.Helper()
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	sa, err := store.Put(e.ctx, e.store, actor, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: home, Name: "sa-" + uuid.NewString()}}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ns := range namespaces {
		if _, err := store.Put(e.ctx, e.store, actor, &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: ns},
			SubjectType: store.SubjectUser, SubjectID: sa.ID, Role: role}, 0); err != nil {
			e.t.Fatal(err)
		}
	}
	tok, err := e.auth.IssueServiceAccountToken(e.ctx, sa)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// adminToken is a token of a Global admin: a recovery token for Global.
func (e *env) adminToken() string {
	e.t.Helper()
	tok, err := e.auth.IssueRecoveryToken(e.ctx, store.GlobalNamespaceID, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) namespace(parent, name string) *store.Namespace {
	e.t.Helper()
	ns, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

// codeOf returns the status code of an error from either client; both use
// gRPC's numbering.
func codeOf(err error) connect.Code {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code()
	}
	if err == nil {
		return 0
	}
	return connect.Code(status.Code(err))
}

// wantCode fails unless err has code and (when given) a message containing want.
func wantCode(t *testing.T, what string, err error, code connect.Code, want string) {
	t.Helper()
	if got := codeOf(err); got != code {
		t.Fatalf("%s: code %v (%v), want %v", what, got, err, code)
	}
	if want != "" && !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %q does not say %q", what, err.Error(), want)
	}
}

func (e *env) policy(ns, name string, enforced bool) *store.Policy {
	e.t.Helper()
	p, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, PPL: allowAll, Enforced: enforced}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) route(ns, name, from string, policyIDs ...string) *store.Route {
	e.t.Helper()
	r, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
			Spec: &configpb.Route{From: from, To: []string{"https://upstream.internal"}, PolicyIds: policyIDs}}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// logFor logs through a test or benchmark; benchmarks log errors only, so
// that what they time is not logging.
func logFor(t testing.TB) logr.Logger {
	if _, ok := t.(*testing.B); ok {
		return testr.NewWithInterface(t, testr.Options{Verbosity: -1})
	}
	return testr.NewWithInterface(t, testr.Options{})
}

package faults

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// broker is the embedded databroker as a process of its own
// (`pomerium-console databroker serve`): it outlives the serve processes a
// scenario kills, and a scenario can put a link of its own in front of it.
type broker struct {
	addr   string
	secret []byte
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (Go 1.24+)
	// An empty configuration file, named so that the machine's is not read.
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "databroker", "serve", "--addr", "127.0.0.1:0", "--config", config,
		"--shared-secret", base64.StdEncoding.EncodeToString(secret), "--log-level", "error")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the databroker: %v", err)
	}
	t.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("stop the databroker: %v", err)
		}
		kill := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() }) // Wait below reports it
		defer kill.Stop()
		if err := cmd.Wait(); err != nil {
			t.Errorf("the databroker stopped with %v", err)
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "listening on ") {
		t.Fatalf("the databroker did not say where it listens: %q, %v", line, err)
	}
	return &broker{addr: strings.TrimSpace(strings.TrimPrefix(line, "listening on ")), secret: secret}
}

// client dials the databroker as an observer.
func (b *broker) client(t *testing.T) *databroker.Client {
	t.Helper()
	c, err := databroker.Dial(databroker.Options{URL: "http://" + b.addr, SharedSecret: b.secret, Logger: testr.New(t).WithName("observer")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() }) // nothing is left to fail at the end of a test
	return c
}

// countRoutes is how many live route records the databroker holds.
func countRoutes(ctx context.Context, c *databroker.Client) (int64, error) {
	res, err := c.RPC().Query(ctx, &dbpb.QueryRequest{Type: compile.RecordTypeRoute, Limit: 1})
	return res.GetTotalCount(), err
}

// embeddedConsole is a serve process with the embedded store in data,
// writing to the databroker b through addr (b's own, or a link in front
// of it). It is not started.
func embeddedConsole(t *testing.T, name, data, addr string, b *broker) *console {
	t.Helper()
	return newConsole(t, name, "data_dir: "+data+"\n", "http://"+addr, base64.StdEncoding.EncodeToString(b.secret))
}

// openStore opens the embedded store in data from the test's process, as
// another process on the same data_dir would (SQLite lets both read it;
// writes take turns).
func openStore(t *testing.T, data string) store.Store {
	t.Helper()
	st, err := backend.Open(t.Context(), backend.Options{DataDir: data, Logger: testr.New(t).WithName("store")})
	if err != nil {
		t.Fatalf("open the embedded store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() }) // a scenario may close it first; closing again is a no-op
	return st
}

// seed fills st with n routes in 10 namespaces under Global, each route
// with one of its namespace's 10 policies (the first of which is
// enforced), the routes in one streamed transaction, as import writes a
// large file.
func seed(t *testing.T, st store.Store, n int) {
	t.Helper()
	actor := store.Actor{Subject: "seed@example.com", Origin: store.OriginAPI}
	var namespaces []string
	policies := map[string][]string{}
	for i := range 10 {
		ns, err := st.Apply(t.Context(), actor, &store.PutOp{Object: &store.Namespace{
			ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("team-%d", i)}}})
		if err != nil {
			t.Fatalf("seed a namespace: %v", err)
		}
		id := ns[0].GetObjectMeta().ID
		namespaces = append(namespaces, id)
		var ops []store.Op
		for j := range 10 {
			ops = append(ops, &store.PutOp{Object: &store.Policy{
				ObjectMeta: store.ObjectMeta{NamespaceID: id, Name: fmt.Sprintf("policy-%d", j)},
				PPL:        fmt.Sprintf("allow:\n  or:\n    - email: {is: user%d-%d@example.com}\n", i, j), Enforced: j == 0,
			}})
		}
		ps, err := st.Apply(t.Context(), actor, ops...)
		if err != nil {
			t.Fatalf("seed policies: %v", err)
		}
		for _, p := range ps {
			policies[id] = append(policies[id], p.GetObjectMeta().ID)
		}
	}
	err := st.ApplyStream(t.Context(), actor, func(apply func(store.Op) (store.Object, error)) error {
		for i := range n {
			ns := namespaces[i%len(namespaces)]
			_, err := apply(&store.PutOp{Object: &store.Route{
				ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: fmt.Sprintf("route-%d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://app%d.example.com", i), To: []string{"https://upstream.internal"},
					PolicyIds: []string{policies[ns][1+i%9]}},
			}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed routes: %v", err)
	}
}

// ledger keeps what the API told a writer of each route it asked for:
// written (under an id), refused, or nothing sure (the connection dropped,
// the call timed out), which neither invariant holds the console to. It
// is the plain client of one attempt per route: no request is sent
// again.
type ledger struct {
	mu      sync.Mutex
	written map[string]string // route name -> id
	refused map[string]string // route name -> what the API said
	codes   map[codes.Code]int
	unsure  int
}

func newLedger() *ledger {
	return &ledger{written: map[string]string{}, refused: map[string]string{}, codes: map[codes.Code]int{}}
}

// record files the outcome of the write of the route named name.
func (l *ledger) record(name, id string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.written[name] = id
	case toldNothingWritten(err):
		l.refused[name] = err.Error()
		l.codes[status.Code(err)]++
	default:
		l.unsure++
		l.codes[status.Code(err)]++
	}
}

// toldNothingWritten reports whether err tells the caller that nothing
// was written: a refusal the server sent, or Unavailable saying the write
// was not made. A transport error (the server gone mid-call), a deadline
// or an Unavailable that says the write may have been made tells nothing.
func toldNothingWritten(err error) bool {
	s, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch s.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound,
		codes.PermissionDenied, codes.Unauthenticated, codes.ResourceExhausted, codes.Aborted:
		return true
	case codes.Unavailable:
		// What the store says of a write it did not make.
		return strings.Contains(s.Message(), "nothing was changed") || strings.Contains(s.Message(), "not applied")
	}
	return false
}

// acknowledged is how many writes the API acknowledged.
func (l *ledger) acknowledged() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.written)
}

// holds checks the second invariant against st for the routes this
// ledger wrote: each acknowledged one is stored under the id the API gave,
// and no refused one is stored.
func (l *ledger) holds(t *testing.T, st store.Store) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	// The ledger's routes are the Global namespace's: seeded ones live
	// below it.
	page, err := st.List(t.Context(), store.KindRoute, store.ListQuery{NamespaceID: store.GlobalNamespaceID})
	if err != nil {
		t.Fatalf("list routes: %v", err)
	}
	stored := map[string]string{}
	for _, o := range page.Objects {
		stored[o.GetObjectMeta().Name] = o.GetObjectMeta().ID
	}
	for name, id := range l.written {
		if stored[name] != id {
			t.Errorf("route %s was acknowledged as %s but the store holds %q", name, id, stored[name])
		}
	}
	for name, why := range l.refused {
		if id, ok := stored[name]; ok {
			t.Errorf("route %s was refused (%s) but the store holds it as %s", name, why, id)
		}
	}
	t.Logf("writes: %d acknowledged, %d refused, %d without a sure outcome (failures by code: %v); the store holds them as told",
		len(l.written), len(l.refused), l.unsure, l.codes)
}

// writeRoutes creates routes named prefix-0, prefix-1, … in the Global
// namespace through the API, one attempt each, until ctx ends, filing each
// outcome in l.
func writeRoutes(ctx context.Context, routes pb.RouteServiceClient, prefix string, l *ledger) {
	for i := 0; ctx.Err() == nil; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := routes.SetRoute(callCtx, &pb.SetRouteRequest{Route: padded(name, 0)})
		cancel()
		if err != nil && ctx.Err() != nil {
			return // the scenario ended the call: it tells nothing
		}
		l.record(name, res.GetRoute().GetId(), err)
		if err != nil {
			// The next route at once, but not so fast that a console
			// refusing everything spins.
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// padded is a route named name in the Global namespace, pad bytes larger
// than it would be (a request header's value).
func padded(name string, pad int) *pb.Route {
	r := &pb.Route{NamespaceId: store.GlobalNamespaceID, Name: name, From: "https://" + name + ".example.com",
		To: []string{"https://upstream.internal"}}
	if pad > 0 {
		r.SetRequestHeaders = map[string]string{"X-Pad": strings.Repeat("p", pad)}
	}
	return r
}

// waitInSync waits until c's reconcile loop says, in /readyz, that it is
// in sync with st's current version or a later one: the loop's own account
// of having written everything, which costs nothing to ask, before a
// scenario compiles the whole store to check it.
func waitInSync(t *testing.T, c *console, st store.Store, within time.Duration) {
	t.Helper()
	v, err := st.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wait.Until(t, fmt.Sprintf("serve %s in sync with store version %d", c.name, v), within, func() (bool, string) {
		got := probe("http://" + c.metrics + "/readyz")
		_, after, ok := strings.Cut(got, "in sync with store version ")
		var synced int64
		if ok {
			_, err := fmt.Sscan(after, &synced)
			ok = err == nil
		}
		return ok && synced >= v, got
	})
}

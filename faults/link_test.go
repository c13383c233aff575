package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestDatabrokerLinkFaults puts a TCP proxy of the test's own between
// serve and the databroker and has it delay every byte by 200 ms, reset
// every connection mid-stream, and cut the link (for less and for more
// than the writer lease's lifetime) while routes are written through the
// API. While the link is cut, the console says that a route written
// meanwhile is pending, and why, and so does /readyz; after each fault the
// databroker holds exactly the compiled records (none lost, none left over
// or twice), and every write the API acknowledged is in the store. It
// measures the time to converge after each fault ends.
func TestDatabrokerLinkFaults(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	st := openStore(t, data)
	seed(t, st, 1000)
	b := startBroker(t)
	observer := b.client(t)
	proxy := newLink(t, b.addr)
	c := embeddedConsole(t, "linked", data, proxy.addr(), b)
	c.start()
	routes := pb.NewRouteServiceClient(c.dial(c.adminToken()))
	writes := newLedger()
	settle := func(fault string, from time.Time) {
		t.Helper()
		waitInSync(t, c, st, time.Minute)
		wait.Until(t, "the databroker to hold exactly the compiled records after "+fault, time.Minute, func() (bool, string) {
			return converged(t.Context(), st, observer)
		})
		t.Logf("%s: converged %v after it ended", fault, time.Since(from).Round(time.Millisecond))
	}
	settle("the start", time.Now())
	// during writes routes named prefix-N for d while fault holds, then
	// ends the fault and returns when it did.
	during := func(prefix string, d time.Duration, fault, end func()) time.Time {
		ctx, stop := context.WithTimeout(t.Context(), d)
		defer stop()
		var w sync.WaitGroup
		w.Go(func() { writeRoutes(ctx, routes, prefix, writes) })
		fault()
		w.Wait()
		end()
		return time.Now()
	}

	ended := during("delayed", 3*time.Second, func() { proxy.setDelay(200 * time.Millisecond) }, func() { proxy.setDelay(0) })
	settle("a 200 ms delay", ended)

	ended = during("reset", 3*time.Second, func() {
		// Three resets, each once writes went through the link again, so
		// that each lands mid-stream.
		for range 3 {
			before := writes.acknowledged()
			wait.For(t, "writes to go on", 30*time.Second, func() bool { return writes.acknowledged() >= before+20 })
			proxy.reset()
		}
	}, func() {})
	settle("connections reset mid-stream", ended)

	for _, cut := range []time.Duration{5 * time.Second, 14 * time.Second} {
		ended = during("cut-"+cut.String(), cut, func() {
			proxy.cut()
			// A route written while the link is down is pending, with
			// the reason, in the API, and /readyz says why.
			name := "while-cut-" + cut.String()
			r, err := routes.SetRoute(t.Context(), &pb.SetRouteRequest{Route: &pb.Route{NamespaceId: store.GlobalNamespaceID,
				Name: name, From: "https://while-cut-" + strings.TrimSuffix(cut.String(), "s") + ".example.com",
				To: []string{"https://upstream.internal"}}})
			writes.record(name, r.GetRoute().GetId(), err)
			if err != nil {
				t.Fatalf("write a route while the link is cut: %v", err)
			}
			var reason string
			wait.Until(t, "the route written while the link is cut to be pending with a reason", 30*time.Second, func() (bool, string) {
				got, err := routes.GetRoute(t.Context(), &pb.GetRouteRequest{Id: r.GetRoute().GetId()})
				if err != nil {
					return false, err.Error()
				}
				s := got.GetRoute().GetSyncStatus()
				reason = s.GetReason()
				return s.GetState() == "pending" && reason != "", s.GetState() + ": " + reason
			})
			var readyz string
			wait.Until(t, "/readyz to say why the cluster is not written", 30*time.Second, func() (bool, string) {
				readyz = probe("http://" + c.metrics + "/readyz")
				return strings.Contains(readyz, "failed") || strings.Contains(readyz, "cannot"), readyz
			})
			t.Logf("link cut for %v: the route says %q; /readyz says %q", cut, reason, readyz)
		}, proxy.restore)
		settle("a cut of "+cut.String(), ended)
	}

	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	writes.holds(t, st)
	if ok, diff := converged(t.Context(), st, observer); !ok {
		t.Errorf("after serve stopped: %s", diff)
	}
}

// probe GETs url and returns its status and body, or what went wrong.
func probe(url string) string {
	res, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close() //nolint:errcheck // read below; nothing to do about a failed close
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err.Error()
	}
	return res.Status + ": " + strings.TrimSpace(string(b))
}

// link is a TCP proxy on loopback between serve and the databroker that
// can delay what it carries, reset its connections, and refuse new ones.
type link struct {
	lis net.Listener
	to  string

	mu    sync.Mutex
	delay time.Duration
	down  bool
	conns map[*net.TCPConn]struct{}
}

func newLink(t *testing.T, to string) *link {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{lis: lis, to: to, conns: map[*net.TCPConn]struct{}{}}
	go l.accept()
	t.Cleanup(func() {
		_ = lis.Close() // ends accept; nothing else to do about it
		l.reset()
	})
	return l
}

func (l *link) addr() string { return l.lis.Addr().String() }

// setDelay holds every chunk either way for d before passing it on.
func (l *link) setDelay(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delay = d
}

// cut resets every connection, and every new one until restore.
func (l *link) cut() {
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	l.reset()
}

func (l *link) restore() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = false
}

// reset ends every connection with a TCP reset, as a middlebox that lost
// its state does.
func (l *link) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		abort(c)
		delete(l.conns, c)
	}
}

// abort closes c with a reset rather than a FIN.
func abort(c *net.TCPConn) {
	_ = c.SetLinger(0) // the close below ends it either way
	_ = c.Close()      // closed already: nothing left to end
}

func (l *link) accept() {
	for {
		conn, err := l.lis.Accept()
		if err != nil {
			return // the listener closed at the end of the test
		}
		in := conn.(*net.TCPConn)
		l.mu.Lock()
		down := l.down
		l.mu.Unlock()
		if down {
			abort(in)
			continue
		}
		go l.carry(in)
	}
}

// carry dials the databroker for in and passes bytes both ways until
// either side ends.
func (l *link) carry(in *net.TCPConn) {
	c, err := net.DialTimeout("tcp", l.to, 5*time.Second)
	if err != nil {
		abort(in)
		return
	}
	out := c.(*net.TCPConn)
	l.mu.Lock()
	if l.down {
		l.mu.Unlock()
		abort(in)
		abort(out)
		return
	}
	l.conns[in], l.conns[out] = struct{}{}, struct{}{}
	l.mu.Unlock()
	var both sync.WaitGroup
	both.Go(func() { l.pass(out, in) })
	both.Go(func() { l.pass(in, out) })
	both.Wait()
	l.mu.Lock()
	delete(l.conns, in)
	delete(l.conns, out)
	l.mu.Unlock()
}

// pass passes what src sends on to dst, each chunk held for the delay
// current when it arrived (a latency, not a cap on throughput), and
// aborts both once either fails.
func (l *link) pass(dst, src *net.TCPConn) {
	type chunk struct {
		b   []byte
		due time.Time
	}
	chunks := make(chan chunk, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				l.mu.Lock()
				d := l.delay
				l.mu.Unlock()
				chunks <- chunk{b: buf[:n], due: time.Now().Add(d)}
			}
			if err != nil {
				return
			}
		}
	}()
	for ch := range chunks {
		if hold := time.Until(ch.due); hold > 0 {
			time.Sleep(hold) // the latency the link imposes, not a wait for a condition
		}
		if _, err := dst.Write(ch.b); err != nil && !errors.Is(err, net.ErrClosed) {
			break
		}
	}
	abort(dst)
	abort(src)
	for range chunks { // let the reader end
	}
}

package databroker_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
)

var secret = []byte(strings.Repeat("k", 32))

const recordType = "type.googleapis.com/google.protobuf.Struct"

// start runs an embedded databroker on a loopback socket and returns its URL.
func start(t *testing.T, opts memory.Options) (*memory.Server, string) {
	t.Helper()
	if opts.SharedSecret == nil {
		opts.SharedSecret = secret
	}
	s := memory.New(opts)
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, "http://" + addr.String()
}

func dial(t *testing.T, url string, key []byte) *databroker.Client {
	t.Helper()
	c, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: key, Logger: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func record(t *testing.T, id string, size int) *pb.Record {
	t.Helper()
	v, err := structpb.NewStruct(map[string]any{"id": id, "pad": strings.Repeat("x", size)})
	if err != nil {
		t.Fatal(err)
	}
	data, err := anypb.New(v)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Record{Type: recordType, Id: id, Data: data}
}

func TestDialRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"ftp://x:1", "http://", "://bad", "grpc://x:1"} {
		if _, err := databroker.Dial(databroker.Options{URL: url, SharedSecret: secret}); err == nil {
			t.Errorf("Dial(%q) accepted", url)
		}
	}
	if _, err := databroker.Dial(databroker.Options{URL: "http://127.0.0.1:1"}); err == nil {
		t.Error("Dial without a shared secret accepted")
	}
}

func TestWrongSecretIsUnauthenticated(t *testing.T) {
	t.Parallel()
	_, url := start(t, memory.Options{})
	c := dial(t, url, []byte(strings.Repeat("w", 32)))
	_, err := c.ServerInfo(t.Context())
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("ServerInfo with the wrong secret: %v, want Unauthenticated", err)
	}
}

func TestPutBatchesUnderTheMessageLimit(t *testing.T) {
	t.Parallel()
	_, url := start(t, memory.Options{})
	c := dial(t, url, secret)
	// 12 MiB in all: three times the server's 4 MiB limit.
	var recs []*pb.Record
	for i := range 3000 {
		recs = append(recs, record(t, fmt.Sprintf("r%04d", i), 4<<10))
	}
	written, err := c.Put(t.Context(), recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != len(recs) {
		t.Fatalf("put returned %d records, want %d", len(written), len(recs))
	}
	for i := 1; i < len(written); i++ {
		if written[i].Version <= written[i-1].Version || written[i].Id != recs[i].Id {
			t.Fatalf("records out of order at %d: %s v%d after %s v%d", i, written[i].Id, written[i].Version, written[i-1].Id, written[i-1].Version)
		}
	}
	for _, w := range written {
		if w.Type != recordType || w.Data != nil {
			t.Fatalf("put answered record %s of type %q with data %v, want type %q without its data", w.Id, w.Type, w.Data != nil, recordType)
		}
	}
	n := 0
	vs, err := c.SyncLatest(t.Context(), recordType, func(*pb.Record) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	if n != len(recs) || vs.RecordVersion != written[len(written)-1].Version || vs.ServerVersion == 0 {
		t.Errorf("sync latest: %d records at %+v", n, vs)
	}
}

func TestSyncStreamsChangesAndReportsReset(t *testing.T) {
	t.Parallel()
	s, url := start(t, memory.Options{})
	c := dial(t, url, secret)
	if _, err := c.Put(t.Context(), []*pb.Record{record(t, "a", 1)}); err != nil {
		t.Fatal(err)
	}
	vs, err := c.SyncLatest(t.Context(), recordType, func(*pb.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := make(chan *pb.Record, 4)
	done := make(chan error, 1)
	go func() {
		done <- c.Sync(ctx, recordType, vs, databroker.SyncHandler{Record: func(r *pb.Record) error { got <- r; return nil }})
	}()
	del := record(t, "a", 1)
	del.DeletedAt = timestamppb.Now()
	if _, err := c.Put(t.Context(), []*pb.Record{record(t, "b", 1), del}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"b", "a"} {
		select {
		case r := <-got:
			if r.Id != want || (want == "a") != (r.DeletedAt != nil) {
				t.Fatalf("sync delivered %s (deleted %v), want %s", r.Id, r.DeletedAt != nil, want)
			}
		case <-ctx.Done():
			t.Fatalf("no change for %s", want)
		}
	}
	cancel()
	<-done

	stale := databroker.Versions{ServerVersion: s.ServerVersion() + 1, RecordVersion: vs.RecordVersion}
	err = c.Sync(t.Context(), recordType, stale, databroker.SyncHandler{Record: func(*pb.Record) error { return nil }})
	if !errors.Is(err, databroker.ErrReset) {
		t.Fatalf("sync with another server version: %v, want ErrReset", err)
	}
}

// TestSyncSkipsWhatTheCallerHolds: a live record the caller says it holds
// comes as its version alone; the others, and deletes, come decoded.
func TestSyncSkipsWhatTheCallerHolds(t *testing.T) {
	t.Parallel()
	_, url := start(t, memory.Options{})
	c := dial(t, url, secret)
	vs, err := c.SyncLatest(t.Context(), recordType, func(*pb.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	written, err := c.Put(t.Context(), []*pb.Record{record(t, "held", 1), record(t, "new", 1)})
	if err != nil {
		t.Fatal(err)
	}
	del := record(t, "held", 1)
	del.DeletedAt = timestamppb.Now()
	if _, err := c.Put(t.Context(), []*pb.Record{del}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := make(chan string, 8)
	done := make(chan error, 1)
	go func() {
		done <- c.Sync(ctx, recordType, vs, databroker.SyncHandler{
			Record: func(r *pb.Record) error {
				got <- fmt.Sprintf("%s at %d, data %v, deleted %v", r.Id, r.Version, r.Data != nil, r.DeletedAt != nil)
				return nil
			},
			Held:    func(id []byte, version uint64) bool { return string(id) == "held" },
			Skipped: func(version uint64) { got <- fmt.Sprintf("skipped %d", version) },
		})
	}()
	for _, want := range []string{
		fmt.Sprintf("skipped %d", written[0].Version),
		fmt.Sprintf("new at %d, data true, deleted false", written[1].Version),
		fmt.Sprintf("held at %d, data true, deleted true", written[1].Version+1),
	} {
		select {
		case g := <-got:
			if g != want {
				t.Errorf("sync brought %q, want %q", g, want)
			}
		case <-ctx.Done():
			t.Fatalf("sync brought nothing; want %q", want)
		}
	}
	cancel()
	<-done
}

func TestLease(t *testing.T) {
	t.Parallel()
	_, url := start(t, memory.Options{})
	a, b := dial(t, url, secret), dial(t, url, secret)
	la, err := a.AcquireLease(t.Context(), "writer", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireLease(t.Context(), "writer", time.Second); !errors.Is(err, databroker.ErrLeaseHeld) {
		t.Fatalf("second acquire: %v, want ErrLeaseHeld", err)
	}
	// Renewal keeps the lease for three of its lifetimes: losing it any
	// earlier ends its context, which fails the test.
	select {
	case <-la.Context().Done():
		t.Fatalf("lease lost while renewed: %v", context.Cause(la.Context()))
	case <-time.After(900 * time.Millisecond):
	}
	if _, err := b.AcquireLease(t.Context(), "writer", time.Second); !errors.Is(err, databroker.ErrLeaseHeld) {
		t.Fatalf("lease taken while held and renewed: %v", err)
	}
	if err := la.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if la.Context().Err() == nil {
		t.Error("a released lease's context is still live")
	}
	lb, err := b.AcquireLease(t.Context(), "writer", time.Second)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	defer lb.Release(context.Background()) //nolint:errcheck // end of test
}

func TestLostLeaseEndsContext(t *testing.T) {
	t.Parallel()
	s, url := start(t, memory.Options{})
	c := dial(t, url, secret)
	l, err := c.AcquireLease(t.Context(), "writer", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop() // no more renewals: the lease must be given up by its expiry
	select {
	case <-l.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("lease context still live after the databroker went away")
	}
	if _, err := c.Put(l.Context(), []*pb.Record{record(t, "x", 1)}); err == nil {
		t.Error("a write under a lost lease went through")
	}
}

// TestLeaseRenewedSoonAfterFailures has the databroker fail the renewals
// for more than a third of the lease's lifetime: the lease is renewed again
// soon after the databroker answers, not a third of the lifetime later
// (which, for a databroker that failed a little longer, is too late), and
// is kept.
func TestLeaseRenewedSoonAfterFailures(t *testing.T) {
	t.Parallel()
	// Long enough that a loaded machine's scheduling delays (tens of
	// milliseconds) stay well inside the margins below.
	const ttl = 3 * time.Second
	var refusing atomic.Bool
	var answered atomic.Int64 // when refusing stopped, in Unix nanoseconds
	renewed := make(chan time.Time, 16)
	gs := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod != pb.DataBrokerService_RenewLease_FullMethodName {
			return h(ctx, req)
		}
		if refusing.Load() {
			// Not Unavailable, which gRPC retries by itself.
			return nil, status.Error(codes.Internal, "refused by the test")
		}
		res, err := h(ctx, req)
		if err == nil && answered.Load() != 0 {
			renewed <- time.Now()
		}
		return res, err
	}))
	memory.New(memory.Options{SharedSecret: secret}).Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }() // returns once Stop below runs
	t.Cleanup(gs.Stop)
	c := dial(t, "http://"+lis.Addr().String(), secret)
	l, err := c.AcquireLease(t.Context(), "writer", ttl)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background()) //nolint:errcheck // end of test
	// Refused from just before the first renewal (at a third) until past
	// the second (at two thirds).
	time.AfterFunc(ttl/3-ttl/20, func() { refusing.Store(true) })
	time.AfterFunc(ttl*2/3+ttl/10, func() {
		answered.Store(time.Now().UnixNano())
		refusing.Store(false)
	})
	select {
	case <-l.Context().Done():
		t.Fatalf("lease lost: %v", context.Cause(l.Context()))
	case at := <-renewed:
		if late := at.Sub(time.Unix(0, answered.Load())); late > ttl/6 {
			t.Errorf("renewed %v after the databroker answered again, want within %v", late, ttl/6)
		}
	case <-time.After(2 * ttl):
		t.Fatal("lease not renewed after the databroker answered again")
	}
	if l.Context().Err() != nil {
		t.Fatalf("lease lost: %v", context.Cause(l.Context()))
	}
}

package memory

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/testclock"
)

// streamWait bounds every wait on a stream, so a missing message fails
// the test instead of hanging it.
const streamWait = 10 * time.Second

var testSecret = []byte("0123456789abcdef0123456789abcdef")

type harness struct {
	srv    *Server
	clock  *testclock.Clock
	client pb.DataBrokerServiceClient
	conn   *grpc.ClientConn
}

// start serves a new Server on a loopback port and dials it.
func start(t testing.TB, configure ...func(*Options)) *harness {
	t.Helper()
	clock := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	opts := Options{SharedSecret: testSecret, Clock: clock.Now}
	for _, f := range configure {
		f(&opts)
	}
	srv := New(opts)
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &harness{srv: srv, clock: clock, client: pb.NewDataBrokerServiceClient(conn), conn: conn}
}

// ctx returns the test's context carrying a token valid at the fake clock's
// current time; tests that move the clock past a minute need a new one.
func (h *harness) ctx(t testing.TB) context.Context {
	t.Helper()
	return withToken(t, t.Context(), testSecret, h.clock.Now())
}

func withToken(t testing.TB, ctx context.Context, secret []byte, now time.Time) context.Context {
	t.Helper()
	token, err := databroker.SignToken(secret, now)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return metadata.AppendToOutgoingContext(ctx, databroker.MetadataKey, token)
}

// streamCtx is ctx with a deadline for waiting on stream messages.
func (h *harness) streamCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx(t), streamWait)
	t.Cleanup(cancel)
	return ctx
}

func record(recordType, id, value string) *pb.Record {
	data, err := anypb.New(wrapperspb.String(value))
	if err != nil {
		panic(err)
	}
	return &pb.Record{Type: recordType, Id: id, Data: data}
}

func tombstone(recordType, id string) *pb.Record {
	r := record(recordType, id, "")
	r.DeletedAt = timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return r
}

func valueOf(t testing.TB, r *pb.Record) string {
	t.Helper()
	var v wrapperspb.StringValue
	if err := r.GetData().UnmarshalTo(&v); err != nil {
		t.Fatalf("decode %s/%s: %v", r.GetType(), r.GetId(), err)
	}
	return v.GetValue()
}

func (h *harness) put(t testing.TB, records ...*pb.Record) *pb.PutResponse {
	t.Helper()
	res, err := h.client.Put(h.ctx(t), &pb.PutRequest{Records: records})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	return res
}

func (h *harness) latest(t testing.TB) uint64 {
	t.Helper()
	info, err := h.client.ServerInfo(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("server info: %v", err)
	}
	return info.GetLatestRecordVersion()
}

// changes reads the changes of a type after a record version, tombstones
// included, from a Sync stream that does not wait for more.
func (h *harness) changes(t testing.TB, recordType string, after uint64) []*pb.Record {
	t.Helper()
	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{
		ServerVersion: h.srv.ServerVersion(), RecordVersion: after, Type: recordType, Wait: proto.Bool(false),
	})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	var out []*pb.Record
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		if r := msg.GetRecord(); r != nil {
			out = append(out, r)
		}
	}
}

func wantCode(t testing.TB, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (err %v), want %v", got, err, want)
	}
}

// ids lists "type/id@version" of records, tombstones marked, for comparing
// streams and query results in one line.
func ids(records []*pb.Record) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		s := r.GetType() + "/" + r.GetId()
		if r.GetDeletedAt() != nil {
			s += "(deleted)"
		}
		out = append(out, s)
	}
	return out
}

package pomeriumtest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pomerium-console/pomerium-console/databroker"
)

// Intercepted serves the databroker's service on a loopback address of its
// own, with intercept in front of every unary call, and forwards every call,
// with the caller's token, to the databroker; it answers what the
// databroker answers. A test uses it to make the real databroker refuse some
// calls, as it would give a console an interceptor in front of the embedded
// one. It stops when t ends.
func (d *Databroker) Intercepted(t testing.TB, intercept grpc.UnaryServerInterceptor) (addr string) {
	t.Helper()
	conn, err := grpc.NewClient(d.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatalf("dial the databroker: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // the server below is stopped first; nothing is left to fail
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(intercept), grpc.MaxRecvMsgSize(64<<20))
	pb.RegisterDataBrokerServiceServer(gs, forwarder{pb.NewDataBrokerServiceClient(conn)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }() // returns once Stop below runs
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

// forwarder passes every call on with the caller's token.
type forwarder struct{ to pb.DataBrokerServiceClient }

var _ pb.DataBrokerServiceServer = forwarder{}

// out carries the caller's token on to the databroker.
func out(ctx context.Context) context.Context {
	md, _ := metadata.FromIncomingContext(ctx) // none: the databroker refuses the call, as it should
	return metadata.NewOutgoingContext(ctx, metadata.MD{databroker.MetadataKey: md.Get(databroker.MetadataKey)})
}

func (f forwarder) AcquireLease(ctx context.Context, req *pb.AcquireLeaseRequest) (*pb.AcquireLeaseResponse, error) {
	return f.to.AcquireLease(out(ctx), req)
}

func (f forwarder) Clear(ctx context.Context, req *emptypb.Empty) (*pb.ClearResponse, error) {
	return f.to.Clear(out(ctx), req)
}

func (f forwarder) Get(ctx context.Context, req *pb.GetRequest) (*pb.GetResponse, error) {
	return f.to.Get(out(ctx), req)
}

func (f forwarder) GetOptions(ctx context.Context, req *pb.GetOptionsRequest) (*pb.GetOptionsResponse, error) {
	return f.to.GetOptions(out(ctx), req)
}

func (f forwarder) ListTypes(ctx context.Context, req *emptypb.Empty) (*pb.ListTypesResponse, error) {
	return f.to.ListTypes(out(ctx), req)
}

func (f forwarder) Put(ctx context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	return f.to.Put(out(ctx), req)
}

func (f forwarder) Patch(ctx context.Context, req *pb.PatchRequest) (*pb.PatchResponse, error) {
	return f.to.Patch(out(ctx), req)
}

func (f forwarder) Query(ctx context.Context, req *pb.QueryRequest) (*pb.QueryResponse, error) {
	return f.to.Query(out(ctx), req)
}

func (f forwarder) ReleaseLease(ctx context.Context, req *pb.ReleaseLeaseRequest) (*emptypb.Empty, error) {
	return f.to.ReleaseLease(out(ctx), req)
}

func (f forwarder) RenewLease(ctx context.Context, req *pb.RenewLeaseRequest) (*emptypb.Empty, error) {
	return f.to.RenewLease(out(ctx), req)
}

func (f forwarder) ServerInfo(ctx context.Context, req *emptypb.Empty) (*pb.ServerInfoResponse, error) {
	return f.to.ServerInfo(out(ctx), req)
}

func (f forwarder) SetOptions(ctx context.Context, req *pb.SetOptionsRequest) (*pb.SetOptionsResponse, error) {
	return f.to.SetOptions(out(ctx), req)
}

func (f forwarder) Sync(req *pb.SyncRequest, stream grpc.ServerStreamingServer[pb.SyncResponse]) error {
	from, err := f.to.Sync(out(stream.Context()), req)
	if err != nil {
		return err
	}
	return relay(from.Recv, stream.Send)
}

func (f forwarder) SyncLatest(req *pb.SyncLatestRequest, stream grpc.ServerStreamingServer[pb.SyncLatestResponse]) error {
	from, err := f.to.SyncLatest(out(stream.Context()), req)
	if err != nil {
		return err
	}
	return relay(from.Recv, stream.Send)
}

// relay copies a stream's messages until it ends, returning its error
// (the databroker's status) or nil at its end.
func relay[M any](recv func() (*M, error), send func(*M) error) error {
	for {
		msg, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(msg); err != nil {
			return err
		}
	}
}

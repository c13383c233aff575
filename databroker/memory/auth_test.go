package memory

import (
	"context"
	"net"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pomerium-console/pomerium-console/hack/testclock"
)

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	h := start(t)

	tests := []struct {
		name string
		ctx  func(t *testing.T) context.Context
	}{
		{"no token", func(t *testing.T) context.Context { return t.Context() }},
		{"garbage token", func(t *testing.T) context.Context {
			return metadata.AppendToOutgoingContext(t.Context(), "jwt", "not-a-jwt")
		}},
		{"other secret", func(t *testing.T) context.Context {
			return withToken(t, t.Context(), []byte("another-secret-of-32-bytes------"), h.clock.Now())
		}},
		{"expired", func(t *testing.T) context.Context {
			return withToken(t, t.Context(), testSecret, h.clock.Now().Add(-2*time.Minute))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(tc.ctx(t), streamWait)
			defer cancel()

			_, err := h.client.ServerInfo(ctx, &emptypb.Empty{})
			wantCode(t, err, codes.Unauthenticated)
			_, err = h.client.Put(ctx, &pb.PutRequest{Records: []*pb.Record{record(typeRoute, "r1", "a")}})
			wantCode(t, err, codes.Unauthenticated)

			latest, err := h.client.SyncLatest(ctx, &pb.SyncLatestRequest{})
			if err != nil {
				t.Fatalf("sync latest: %v", err)
			}
			_, err = latest.Recv()
			wantCode(t, err, codes.Unauthenticated)

			changes, err := h.client.Sync(ctx, &pb.SyncRequest{ServerVersion: h.srv.ServerVersion()})
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			_, err = changes.Recv()
			wantCode(t, err, codes.Unauthenticated)

			_, err = pb.NewCheckpointServiceClient(h.conn).GetCheckpoint(ctx, &pb.GetCheckpointRequest{})
			wantCode(t, err, codes.Unauthenticated)
		})
	}
	if _, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"}); err == nil {
		t.Errorf("an unauthenticated put was stored")
	}
}

func TestNoSharedSecretIsUnavailable(t *testing.T) {
	t.Parallel()
	h := start(t, func(o *Options) { o.SharedSecret = nil })
	_, err := h.client.ServerInfo(h.ctx(t), &emptypb.Empty{})
	wantCode(t, err, codes.Unavailable)
}

// A grpc.Server shared with other services keeps the token check.
func TestRegisterOnAnotherServer(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	srv := New(Options{SharedSecret: testSecret, Clock: clock.Now})
	gs := grpc.NewServer()
	srv.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := pb.NewDataBrokerServiceClient(conn)

	_, err = client.ServerInfo(t.Context(), &emptypb.Empty{})
	wantCode(t, err, codes.Unauthenticated)
	info, err := client.ServerInfo(withToken(t, t.Context(), testSecret, clock.Now()), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("server info: %v", err)
	}
	if info.GetServerVersion() != srv.ServerVersion() {
		t.Errorf("server version = %d, want %d", info.GetServerVersion(), srv.ServerVersion())
	}
}

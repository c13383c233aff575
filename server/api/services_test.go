package api_test

import (
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/grpc/health/grpc_health_v1"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
)

func TestServicesNotBuiltSaySo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := pb.NewClustersServiceClient(e.conn).ListClusters(e.ctx, &pb.ListClustersRequest{})
	wantCode(t, "ListClusters", err, connect.CodeUnimplemented, "does not implement pomerium.dashboard.ClustersService yet")
	_, err = pb.NewDeviceServiceClient(e.conn).ListDevices(as(e.ctx, e.adminToken()), &pb.ListDevicesRequest{})
	wantCode(t, "ListDevices", err, connect.CodeUnimplemented, "README")
}

func TestHealthAndReflection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := grpc_health_v1.NewHealthClient(e.conn).Check(e.ctx, &grpc_health_v1.HealthCheckRequest{Service: "pomerium.dashboard.NamespaceService"})
	if err != nil || h.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v, %v", h, err)
	}
	stream, err := rpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	found := false
	for _, n := range names {
		found = found || n == "pomerium.dashboard.NamespaceService"
	}
	if !found {
		t.Fatalf("reflection lists %v", names)
	}
}

// TestGRPCWeb reaches the API the way browsers do, with gRPC-Web.
func TestGRPCWeb(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := dashboardpbconnect.NewNamespaceServiceClient(e.http, e.url, connect.WithGRPCWeb(), bearer(e.adminToken()))
	res, err := c.ListNamespaces(e.ctx, connect.NewRequest(&pb.ListNamespacesRequest{}))
	if err != nil || len(res.Msg.Namespaces) != 1 || res.Msg.Namespaces[0].Name != "Global" {
		t.Fatalf("list over gRPC-Web: %v, %v", res, err)
	}
	_, err = dashboardpbconnect.NewNamespaceServiceClient(e.http, e.url, connect.WithGRPCWeb()).ListNamespaces(e.ctx, connect.NewRequest(&pb.ListNamespacesRequest{}))
	wantCode(t, "gRPC-Web without credentials", err, connect.CodeUnauthenticated, "no credentials")
}

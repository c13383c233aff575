package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
)

// Tools like grpcurl find the services by server reflection, and load
// balancers ask the health service about each: both know ConfigService and
// the dashboard's services.
func TestReflectionAndHealthListEveryService(t *testing.T) {
	e := newEnv(t)
	stream, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, s := range res.GetListServicesResponse().GetService() {
		listed = append(listed, s.GetName())
	}
	health := grpc_health_v1.NewHealthClient(e.conn)
	// Every service of pomerium.dashboard, and ConfigService.
	all := []string{configpbconnect.ConfigServiceName}
	protoregistry.GlobalFiles.RangeFilesByPackage("pomerium.dashboard", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			all = append(all, string(f.Services().Get(i).FullName()))
		}
		return true
	})
	if len(all) != 14 {
		t.Fatalf("%d services of pomerium.dashboard and ConfigService, want 13 and 1: %v", len(all), all)
	}
	for _, name := range all {
		if !slices.Contains(listed, name) {
			t.Errorf("reflection lists %v, not %s", listed, name)
		}
		st, err := health.Check(e.ctx, &grpc_health_v1.HealthCheckRequest{Service: name})
		if err != nil || st.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("health of %s: %v %v", name, st, err)
		}
	}
	// Reflection describes ConfigService's methods, as grpcurl asks.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: configpbconnect.ConfigServiceName,
	}}); err != nil {
		t.Fatal(err)
	}
	if res, err = stream.Recv(); err != nil || len(res.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("the file of ConfigService: %v %v", res, err)
	}
}

// TestEveryMethodIsImplemented calls every method of pomerium.dashboard and
// ConfigService without credentials: none answers Unimplemented.
func TestEveryMethodIsImplemented(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := 0
	for _, pkg := range []protoreflect.FullName{"pomerium.dashboard", "pomerium.config"} {
		protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(f protoreflect.FileDescriptor) bool {
			for i := range f.Services().Len() {
				methods := f.Services().Get(i).Methods()
				for j := range methods.Len() {
					n++
					if m := methods.Get(j); !e.implements(m) {
						t.Errorf("%s answers Unimplemented", m.FullName())
					}
				}
			}
			return true
		})
	}
	if n != 67+25 {
		t.Errorf("%d methods, want the 67 of pomerium.dashboard and the 25 of ConfigService", n)
	}
}

package api_test

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
)

// connectConfig serves the gRPC interface of ConfigService with a Connect
// client, so that every test runs unchanged over gRPC and over Connect.
type connectConfig struct {
	c configpbconnect.ConfigServiceClient
}

var _ configpb.ConfigServiceClient = connectConfig{}

// unary calls a method of a Connect client with a plain message.
func unary[Req, Res any](ctx context.Context, in *Req, f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) (*Res, error) {
	res, err := f(ctx, connect.NewRequest(in))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

func (a connectConfig) CreateKeyPair(ctx context.Context, in *configpb.CreateKeyPairRequest, _ ...grpc.CallOption) (*configpb.CreateKeyPairResponse, error) {
	return unary(ctx, in, a.c.CreateKeyPair)
}

func (a connectConfig) CreatePolicy(ctx context.Context, in *configpb.CreatePolicyRequest, _ ...grpc.CallOption) (*configpb.CreatePolicyResponse, error) {
	return unary(ctx, in, a.c.CreatePolicy)
}

func (a connectConfig) CreateRoute(ctx context.Context, in *configpb.CreateRouteRequest, _ ...grpc.CallOption) (*configpb.CreateRouteResponse, error) {
	return unary(ctx, in, a.c.CreateRoute)
}

func (a connectConfig) CreateServiceAccount(ctx context.Context, in *configpb.CreateServiceAccountRequest, _ ...grpc.CallOption) (*configpb.CreateServiceAccountResponse, error) {
	return unary(ctx, in, a.c.CreateServiceAccount)
}

func (a connectConfig) DeleteKeyPair(ctx context.Context, in *configpb.DeleteKeyPairRequest, _ ...grpc.CallOption) (*configpb.DeleteKeyPairResponse, error) {
	return unary(ctx, in, a.c.DeleteKeyPair)
}

func (a connectConfig) DeletePolicy(ctx context.Context, in *configpb.DeletePolicyRequest, _ ...grpc.CallOption) (*configpb.DeletePolicyResponse, error) {
	return unary(ctx, in, a.c.DeletePolicy)
}

func (a connectConfig) DeleteRoute(ctx context.Context, in *configpb.DeleteRouteRequest, _ ...grpc.CallOption) (*configpb.DeleteRouteResponse, error) {
	return unary(ctx, in, a.c.DeleteRoute)
}

func (a connectConfig) DeleteServiceAccount(ctx context.Context, in *configpb.DeleteServiceAccountRequest, _ ...grpc.CallOption) (*configpb.DeleteServiceAccountResponse, error) {
	return unary(ctx, in, a.c.DeleteServiceAccount)
}

func (a connectConfig) GetKeyPair(ctx context.Context, in *configpb.GetKeyPairRequest, _ ...grpc.CallOption) (*configpb.GetKeyPairResponse, error) {
	return unary(ctx, in, a.c.GetKeyPair)
}

func (a connectConfig) GetPolicy(ctx context.Context, in *configpb.GetPolicyRequest, _ ...grpc.CallOption) (*configpb.GetPolicyResponse, error) {
	return unary(ctx, in, a.c.GetPolicy)
}

func (a connectConfig) GetRoute(ctx context.Context, in *configpb.GetRouteRequest, _ ...grpc.CallOption) (*configpb.GetRouteResponse, error) {
	return unary(ctx, in, a.c.GetRoute)
}

func (a connectConfig) GetServerInfo(ctx context.Context, in *configpb.GetServerInfoRequest, _ ...grpc.CallOption) (*configpb.GetServerInfoResponse, error) {
	return unary(ctx, in, a.c.GetServerInfo)
}

func (a connectConfig) GetServiceAccount(ctx context.Context, in *configpb.GetServiceAccountRequest, _ ...grpc.CallOption) (*configpb.GetServiceAccountResponse, error) {
	return unary(ctx, in, a.c.GetServiceAccount)
}

func (a connectConfig) GetSettings(ctx context.Context, in *configpb.GetSettingsRequest, _ ...grpc.CallOption) (*configpb.GetSettingsResponse, error) {
	return unary(ctx, in, a.c.GetSettings)
}

func (a connectConfig) ListAvailableLogFields(ctx context.Context, in *configpb.ListAvailableLogFieldsRequest, _ ...grpc.CallOption) (*configpb.ListAvailableLogFieldsResponse, error) {
	return unary(ctx, in, a.c.ListAvailableLogFields)
}

func (a connectConfig) ListKeyPairs(ctx context.Context, in *configpb.ListKeyPairsRequest, _ ...grpc.CallOption) (*configpb.ListKeyPairsResponse, error) {
	return unary(ctx, in, a.c.ListKeyPairs)
}

func (a connectConfig) ListPolicies(ctx context.Context, in *configpb.ListPoliciesRequest, _ ...grpc.CallOption) (*configpb.ListPoliciesResponse, error) {
	return unary(ctx, in, a.c.ListPolicies)
}

func (a connectConfig) ListRoutes(ctx context.Context, in *configpb.ListRoutesRequest, _ ...grpc.CallOption) (*configpb.ListRoutesResponse, error) {
	return unary(ctx, in, a.c.ListRoutes)
}

func (a connectConfig) ListServiceAccounts(ctx context.Context, in *configpb.ListServiceAccountsRequest, _ ...grpc.CallOption) (*configpb.ListServiceAccountsResponse, error) {
	return unary(ctx, in, a.c.ListServiceAccounts)
}

func (a connectConfig) ListSettings(ctx context.Context, in *configpb.ListSettingsRequest, _ ...grpc.CallOption) (*configpb.ListSettingsResponse, error) {
	return unary(ctx, in, a.c.ListSettings)
}

func (a connectConfig) UpdateKeyPair(ctx context.Context, in *configpb.UpdateKeyPairRequest, _ ...grpc.CallOption) (*configpb.UpdateKeyPairResponse, error) {
	return unary(ctx, in, a.c.UpdateKeyPair)
}

func (a connectConfig) UpdatePolicy(ctx context.Context, in *configpb.UpdatePolicyRequest, _ ...grpc.CallOption) (*configpb.UpdatePolicyResponse, error) {
	return unary(ctx, in, a.c.UpdatePolicy)
}

func (a connectConfig) UpdateRoute(ctx context.Context, in *configpb.UpdateRouteRequest, _ ...grpc.CallOption) (*configpb.UpdateRouteResponse, error) {
	return unary(ctx, in, a.c.UpdateRoute)
}

func (a connectConfig) UpdateServiceAccount(ctx context.Context, in *configpb.UpdateServiceAccountRequest, _ ...grpc.CallOption) (*configpb.UpdateServiceAccountResponse, error) {
	return unary(ctx, in, a.c.UpdateServiceAccount)
}

func (a connectConfig) UpdateSettings(ctx context.Context, in *configpb.UpdateSettingsRequest, _ ...grpc.CallOption) (*configpb.UpdateSettingsResponse, error) {
	return unary(ctx, in, a.c.UpdateSettings)
}

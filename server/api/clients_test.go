package api_test

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
)

// rpc is one method of the API as a plain function, whichever client
// carries it.
type rpc[Req, Res any] func(context.Context, *Req) (*Res, error)

// viaGRPC calls a method of a grpc-go client, sending token.
func viaGRPC[Req, Res any](token string, f func(context.Context, *Req, ...grpc.CallOption) (*Res, error)) rpc[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) { return f(as(ctx, token), req) }
}

// viaConnect calls a method of a Connect client.
func viaConnect[Req, Res any](f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) rpc[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		res, err := f(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}
}

// transports names the two ways every test reaches the API.
var transports = []string{"grpc", "connect-json"}

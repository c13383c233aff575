package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/manage"
)

// RequestKeyHeader carries a client's key of a request it may send again
// (gRPC metadata idempotency-key): see manage.RequestKey.
const RequestKeyHeader = "Idempotency-Key"

type requestKeyContext struct{}

// requestKeyInterceptor reads the request key of a call, if it has one,
// with a digest of the procedure and the request message, for the caller
// of the call to take (see Server.caller). A key sent twice in one call
// is refused.
func requestKeyInterceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			values := req.Header().Values(RequestKeyHeader)
			switch len(values) {
			case 0:
				return next(ctx, req)
			case 1:
			default:
				return nil, connect.NewError(connect.CodeInvalidArgument,
					fmt.Errorf("%s header: is set %d times, want once", RequestKeyHeader, len(values)))
			}
			digest, err := requestDigest(req)
			if err != nil {
				return nil, err
			}
			key := manage.RequestKey{Key: values[0], Digest: digest}
			return next(context.WithValue(ctx, requestKeyContext{}, key), req)
		}
	}
}

// requestDigest identifies what a call asks: its procedure and its
// message, encoded deterministically.
func requestDigest(req connect.AnyRequest) ([]byte, error) {
	msg, ok := req.Any().(proto.Message)
	if !ok {
		return nil, connect.NewError(connect.CodeInternal, errors.New("internal error; the console logged the details"))
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("request: %w", err))
	}
	h := sha256.New()
	h.Write([]byte(req.Spec().Procedure))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil), nil
}

// useRequestKey hands the call's request key, if any, to its caller; a
// key the use cases refuse is InvalidArgument about the header.
func useRequestKey(ctx context.Context, c *manage.Caller) error {
	key, ok := ctx.Value(requestKeyContext{}).(manage.RequestKey)
	if !ok {
		return nil
	}
	if err := c.UseRequestKey(key); err != nil {
		if re := manage.AsRefusal(err); re != nil {
			return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s header: %s", RequestKeyHeader, re.Reason))
		}
		return err
	}
	return nil
}

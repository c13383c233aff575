package api

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/server/auth"
)

// recoverInterceptor turns a panic in a handler into Internal: one request
// must not take the console down, and its caller learns nothing of the
// console's insides.
func (s *Server) recoverInterceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (res connect.AnyResponse, err error) {
			defer func() {
				if r := recover(); r != nil {
					s.log.Error(fmt.Errorf("panic: %v", r), "handler panicked", "procedure", req.Spec().Procedure, "stack", string(debug.Stack()))
					res, err = nil, connect.NewError(connect.CodeInternal, errors.New("internal error; the console logged the details"))
				}
			}()
			return next(ctx, req)
		}
	}
}

// authInterceptor identifies the caller of every call and puts it in the
// context. A call without credentials is refused: the API has no guests.
func (s *Server) authInterceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			p, err := s.auth.Authenticate(ctx, req.Header())
			switch {
			case errors.Is(err, auth.ErrNoCredentials):
				return nil, connect.NewError(connect.CodeUnauthenticated,
					errors.New("no credentials: send a service account token as \"authorization: Pomerium <token>\", or call through Pomerium"))
			case errors.Is(err, auth.ErrUnauthenticated):
				return nil, connect.NewError(connect.CodeUnauthenticated, err)
			case err != nil:
				s.log.Error(err, "authenticate", "procedure", req.Spec().Procedure)
				return nil, connect.NewError(connect.CodeUnavailable, errors.New("cannot check credentials now; try again"))
			}
			return next(auth.WithPrincipal(ctx, p), req)
		}
	}
}

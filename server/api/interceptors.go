package api

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
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
//
// A call whose credentials fail counts against its client's address; once
// the address has spent its attempts, every call from it is refused with
// ResourceExhausted before its credentials are looked at, good ones too:
// answering those would tell a guesser which guess was right.
func (s *Server) authInterceptor() connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			addr := s.limit.ClientAddr(req.Peer().Addr, req.Header())
			if wait := s.limit.Wait(addr); wait > 0 {
				return nil, tooManyAttempts(wait)
			}
			p, err := s.auth.Authenticate(ctx, req.Header())
			switch {
			case errors.Is(err, auth.ErrNoCredentials):
				s.limit.Take(addr)
				return nil, connect.NewError(connect.CodeUnauthenticated,
					errors.New("no credentials: send a service account token as \"authorization: Pomerium <token>\", or call through Pomerium"))
			case errors.Is(err, auth.ErrUnauthenticated):
				s.limit.Take(addr)
				return nil, connect.NewError(connect.CodeUnauthenticated, err)
			case err != nil:
				// The console could not check: the caller's attempt does
				// not count.
				s.log.Error(err, "authenticate", "procedure", req.Spec().Procedure)
				return nil, connect.NewError(connect.CodeUnavailable, errors.New("cannot check credentials now; try again"))
			}
			return next(auth.WithPrincipal(ctx, p), req)
		}
	}
}

// tooManyAttempts is the refusal of a call from an address that has spent
// its authentication attempts: ResourceExhausted (429 over HTTP) with the
// wait in the message, in a Retry-After header, and as gRPC's RetryInfo
// detail, which clients that retry read.
func tooManyAttempts(wait time.Duration) error {
	secs := ratelimit.RetryAfter(wait)
	cerr := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("too many failed authentications from your address: try again in %d seconds", secs))
	cerr.Meta().Set("Retry-After", strconv.Itoa(secs))
	// Marshalling a RetryInfo cannot fail; were it to, the message and the
	// header still carry the wait.
	if d, err := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}); err == nil {
		cerr.AddDetail(d)
	}
	return cerr
}

package memory

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/databroker"
)

// authorized returns a copy of desc whose unary and stream handlers check
// the caller's token first. Wrapping the descriptor rather than installing
// server-wide interceptors keeps the check attached to these services on
// any grpc.Server, and leaves other services on a shared server alone.
func (s *Server) authorized(desc *grpc.ServiceDesc) *grpc.ServiceDesc {
	out := *desc
	out.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		handler := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			if err := s.authorize(ctx); err != nil {
				return nil, err
			}
			return handler(srv, ctx, dec, icpt)
		}
		out.Methods[i] = m
	}
	out.Streams = make([]grpc.StreamDesc, len(desc.Streams))
	for i, sd := range desc.Streams {
		handler := sd.Handler
		sd.Handler = func(srv any, stream grpc.ServerStream) error {
			if err := s.authorize(stream.Context()); err != nil {
				return err
			}
			return handler(srv, stream)
		}
		out.Streams[i] = sd
	}
	return &out
}

// authorize answers like Pomerium's RequireSignedJWT: Unauthenticated both
// for a missing token and for one that is badly signed or expired, with
// the reason only in the server's log.
func (s *Server) authorize(ctx context.Context) error {
	if len(s.secret) == 0 {
		return status.Error(codes.Unavailable, "no shared key defined")
	}
	token, err := databroker.TokenFromContext(ctx)
	if err != nil {
		return status.Error(codes.Unauthenticated, "unauthenticated")
	}
	if err := databroker.VerifyToken(s.secret, token, s.clock()); err != nil {
		s.log.V(1).Info("rejected databroker call", "reason", err.Error())
		return status.Error(codes.Unauthenticated, "invalid JWT")
	}
	return nil
}

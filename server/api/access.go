package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// caller reads the caller of a call, with its roles, for the use cases:
// what it writes is recorded as coming through the API.
func (s *Server) caller(ctx context.Context) (*manage.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("no caller"))
	}
	c, err := s.app.Caller(ctx, p.Identity(), store.OriginAPI)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	if err := useRequestKey(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func callerSubject(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject
	}
	return ""
}

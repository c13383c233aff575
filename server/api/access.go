package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// caller reads the caller of a call, with its roles, for the use cases.
func (s *Server) caller(ctx context.Context) (*manage.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("no caller"))
	}
	c, err := s.app.Caller(ctx, p.Identity(), originOf(ctx))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return c, nil
}

type originKey struct{}

// WithOrigin returns a context whose calls record origin as the surface of
// their changes: the web console calls the services in process and its
// changes are "ui", not "api".
func WithOrigin(ctx context.Context, origin store.Origin) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

// originOf is the surface WithOrigin put in ctx; the API by default.
func originOf(ctx context.Context) store.Origin {
	if o, ok := ctx.Value(originKey{}).(store.Origin); ok && o.Valid() {
		return o
	}
	return store.OriginAPI
}

func callerSubject(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject
	}
	return ""
}

package api

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/store"
)

var storeCodes = map[store.Code]connect.Code{
	store.CodeInvalid:            connect.CodeInvalidArgument,
	store.CodeNotFound:           connect.CodeNotFound,
	store.CodeAlreadyExists:      connect.CodeAlreadyExists,
	store.CodeConflict:           connect.CodeFailedPrecondition,
	store.CodeFailedPrecondition: connect.CodeFailedPrecondition,
}

// fail turns an error from below into the status the caller gets. Store
// errors keep their message (which names the field); anything else is
// logged and reported as Internal without details.
func (s *Server) fail(ctx context.Context, err error) error {
	var ce *connect.Error
	var se *store.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &se):
		if code, ok := storeCodes[se.Code]; ok {
			return connect.NewError(code, se)
		}
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	}
	s.log.Error(err, "request failed", "caller", callerSubject(ctx))
	return connect.NewError(connect.CodeInternal, errors.New("internal error; the console logged the details"))
}

// invalid is an InvalidArgument error about one field of the request.
func invalid(field, format string, args ...any) error {
	return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

// notFound is the NotFound error for an object the caller asked for: also
// what a caller who may not see the object gets, so that ids of others do
// not leak.
func notFound(kind store.Kind, id string) error {
	return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s %s not found", kind, id))
}

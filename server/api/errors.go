package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

var refusalCodes = map[manage.Code]connect.Code{
	manage.CodeInvalid:            connect.CodeInvalidArgument,
	manage.CodeNotFound:           connect.CodeNotFound,
	manage.CodeAlreadyExists:      connect.CodeAlreadyExists,
	manage.CodeConflict:           connect.CodeFailedPrecondition,
	manage.CodeFailedPrecondition: connect.CodeFailedPrecondition,
	manage.CodePermissionDenied:   connect.CodePermissionDenied,
	manage.CodeUnavailable:        connect.CodeUnavailable,
}

// at says where the object a call writes sits in its request, so that a
// refusal names the field as the request does: the use cases name fields
// of the object ("from"), the request "route.from".
type at struct {
	// root is the object's field in the request ("route"); empty when the
	// call takes the object's fields at the top level (an id).
	root string
	// renames maps the object's names of fields (or of the first segment
	// of a path) to the request's, where the message names them otherwise.
	renames map[string]string
}

// path is a field of the use cases as the request names it.
func (f at) path(field string) string {
	if field == "" || field == "version" {
		// The version of the object written is named alike everywhere.
		return field
	}
	head, rest := field, ""
	if i := strings.IndexAny(field, ".["); i > 0 {
		head, rest = field[:i], field[i:]
	}
	if to, ok := f.renames[head]; ok {
		head = to
	}
	if f.root == "" {
		return head + rest
	}
	return f.root + "." + head + rest
}

// fail turns an error of a call into the status its caller gets: a refusal
// of the use cases keeps its reason and names the field as the request does
// (in the message and as a BadRequest detail); anything else is logged and
// reported as Internal without details.
func (s *Server) fail(ctx context.Context, err error, where at) error {
	if r := refusal(err, where); r != nil {
		return r
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	}
	s.log.Error(err, "request failed", "caller", callerSubject(ctx))
	return connect.NewError(connect.CodeInternal, errors.New("internal error; the console logged the details"))
}

// refusal is the status of a refusal of the call's input (by the use
// cases, or by conversion), nil for any other error.
func refusal(err error, where at) error {
	var ce *connect.Error
	var fe *convert.FieldError
	re := manage.AsRefusal(err)
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &fe):
		return fieldError(connect.CodeInvalidArgument, fe.Field, fe.Reason)
	case re != nil:
		field := where.path(re.Field)
		if field == "" && re.Code == manage.CodeInvalid {
			// The object as a whole is at fault (too large): the request
			// names it by its root.
			field = where.root
		}
		return fieldError(refusalCodes[re.Code], field, re.Reason)
	}
	return nil
}

// fieldError is a refusal with code about one field of the request, which
// its message names first and a google.rpc.BadRequest detail carries for
// clients that read details.
func fieldError(code connect.Code, field, reason string) error {
	if field == "" {
		return connect.NewError(code, errors.New(reason))
	}
	err := connect.NewError(code, fmt.Errorf("%s: %s", field, reason))
	violation := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: reason}}}
	d, derr := connect.NewErrorDetail(violation)
	if derr != nil {
		// A BadRequest always marshals; the message names the field anyway.
		return err
	}
	err.AddDetail(d)
	return err
}

// invalid is an InvalidArgument error about one field of the request.
func invalid(field, format string, args ...any) error {
	return fieldError(connect.CodeInvalidArgument, field, fmt.Sprintf(format, args...))
}

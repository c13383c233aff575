package api

import (
	"errors"
	"strings"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/store"
)

// requestFieldError turns an invalid-input error of the store into
// InvalidArgument naming the field as the request names it. The store names
// fields after its own objects ("spec", "private_key"); renames maps those
// names (or the first segment of a dotted path) to the request's. Any other
// error is returned as it is.
func requestFieldError(err error, renames map[string]string) error {
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeInvalid {
		return err
	}
	field := se.Field
	head, rest := field, ""
	if i := strings.IndexAny(field, ".["); i >= 0 {
		head, rest = field[:i], field[i:]
	}
	if to, ok := renames[head]; ok {
		field = to + rest
	}
	if field == "" {
		return connect.NewError(connect.CodeInvalidArgument, errors.New(se.Reason))
	}
	return invalid(field, "%s", se.Reason)
}

package convert

import (
	"fmt"
	"strings"
)

// FieldError is input that cannot be represented in the store, about one
// field of the request. It maps to InvalidArgument.
type FieldError struct {
	// Field is the dotted path of the field from the message's own name,
	// with indexes and map keys: route.redirect.response_code,
	// settings.certificates[1].
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// WithRoot returns the error with the message's own name at the start of
// the field replaced by root, the field's path in the request:
// route.from becomes routes[2].from.
func (e *FieldError) WithRoot(root string) *FieldError {
	rest := ""
	if i := strings.IndexAny(e.Field, ".["); i >= 0 {
		rest = e.Field[i:]
	}
	return &FieldError{Field: root + rest, Reason: e.Reason}
}

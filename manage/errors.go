package manage

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// Code classifies a refusal so that a surface can answer it in its own
// terms (a Connect code, an HTTP status) without reading its message: the
// store's codes (CodeInvalid, CodeNotFound, CodeAlreadyExists,
// CodeConflict for a stale version, CodeFailedPrecondition), and
// CodePermissionDenied.
type Code = store.Code

// The codes of refusals.
const (
	CodeInvalid            = store.CodeInvalid
	CodeNotFound           = store.CodeNotFound
	CodeAlreadyExists      = store.CodeAlreadyExists
	CodeConflict           = store.CodeConflict
	CodeFailedPrecondition = store.CodeFailedPrecondition
	// CodePermissionDenied: the caller may see the object but lacks the
	// role the operation takes.
	CodePermissionDenied Code = "permission_denied"
	// CodeUnavailable: something the call reaches out to (a cluster's
	// databroker, the store's database) did not answer. The call may
	// succeed when tried again; see Error for when a write may have been
	// applied all the same.
	CodeUnavailable = store.CodeUnavailable
)

// Error is a refusal of a use case. Nothing was written when one is
// returned, with one exception: a CodeUnavailable of the store's database.
// Its reason says "this write was not applied" when the write's
// transaction failed, "may have been applied" when the connection dropped
// under its commit, and just "try again" when a read failed, which may
// come after the use case's write was made (reading back what it wrote).
// A client that sent a request key learns which by sending the request
// again (see RequestKey). Errors that
// are not *Error are failures of the console itself (a bug, a corrupt
// row): surfaces log them and tell the caller nothing of them.
type Error struct {
	Code Code
	// Field is the path of the offending input, relative to what the call
	// takes: a field of the object written ("from", "policy_ids[2]",
	// "redirect.port_redirect"), or an element of a list argument
	// ("ids[3]", "routes[1].from"). Empty when the refusal is about the call
	// as a whole.
	Field string
	// Index is the position of the element of the call's list argument
	// that the refusal is about, -1 when there is none.
	Index  int
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, &Error{Code: c}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == "" && t.Field == "" && t.Code == e.Code
}

// CodeOf returns the code of a refusal in err's chain, "" for anything
// else.
func CodeOf(err error) Code {
	if e := AsRefusal(err); e != nil {
		return e.Code
	}
	return ""
}

// AsRefusal returns the refusal in err's chain, nil for anything else. A
// store that could not be reached is a refusal wherever in a use case it
// happened (reading roles, an object, or writing): the caller may try
// again, and it is told so, never given an internal error.
func AsRefusal(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *store.Error
	if errors.As(err, &se) && se.Code == store.CodeUnavailable {
		return &Error{Code: CodeUnavailable, Index: -1, Reason: se.Reason}
	}
	return nil
}

// Refuse returns a refusal with code about one field ("": the call as a
// whole).
func Refuse(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Index: -1, Reason: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *Error {
	return Refuse(CodeInvalid, field, format, args...)
}

// notFound is what a caller gets for an object that does not exist and
// for one it may not see alike, so that the ids of others do not leak.
func notFound(field string, kind store.Kind, id string) *Error {
	return Refuse(CodeNotFound, field, "%s %s not found", kindName(kind), id)
}

func kindName(k store.Kind) string { return strings.ReplaceAll(string(k), "_", " ") }

// indexed names element i of a list argument.
func indexed(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

// inList returns err about element i of the list argument named list: its
// field becomes a path below the element and its Index i. Errors that are
// not refusals pass unchanged.
func inList(err error, list string, i int) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Index = i
	c.Field = indexed(list, i)
	switch {
	case e.Field == "":
	case strings.HasPrefix(e.Field, "["):
		c.Field += e.Field
	default:
		c.Field += "." + e.Field
	}
	return &c
}

// under returns err with its field moved below root: a refusal about "id"
// of a route becomes one about root.id. Errors that are not refusals pass
// unchanged.
func under(err error, root string) error {
	var e *Error
	if !errors.As(err, &e) || root == "" {
		return err
	}
	c := *e
	c.Field = root
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	return &c
}

// fromStore turns a refusal of the store into one of the use case, with
// the store's field named as the object's own (the spec of routes and
// settings is flat: "spec.from" is "from"). A refusal about an object
// other than the one written says which. Errors that are not refusals
// pass unchanged.
func fromStore(err error, written store.Object) error {
	var se *store.Error
	if !errors.As(err, &se) {
		return err
	}
	field := objectPath(se.Field)
	reason := se.Reason
	if !sameObject(se, written) {
		// About another object (a namespace that is not empty, a route a
		// policy deletion would leave dangling): the field is that object's,
		// and the reason names it.
		if se.Kind != "" {
			reason = strings.TrimSpace(kindName(se.Kind)+" "+se.ID) + ": " + withField(se.Field, reason)
		}
		field = ""
	}
	return &Error{Code: se.Code, Field: field, Index: -1, Reason: reason}
}

// sameObject reports whether a refusal of the store is about written.
func sameObject(se *store.Error, written store.Object) bool {
	if written == nil || se.Kind != written.Kind() {
		return false
	}
	id := written.GetObjectMeta().ID
	return se.ID == "" || id == "" || se.ID == id
}

func withField(field, reason string) string {
	if field == "" {
		return reason
	}
	return field + ": " + reason
}

// objectPath is a store field path as the use cases name it: the spec of
// a route or the settings is part of the object itself.
func objectPath(field string) string {
	if rest, ok := strings.CutPrefix(field, "spec."); ok {
		return rest
	}
	if field == "spec" {
		return ""
	}
	return field
}

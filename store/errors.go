package store

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies a store error so that the API layer can map it to a status
// code without parsing messages.
type Code string

// The error codes of the store.
const (
	// CodeInvalid: the input breaks a rule (bad field value, unknown
	// namespace, cycle, oversize payload). Maps to InvalidArgument.
	CodeInvalid Code = "invalid"
	// CodeNotFound: no live object has that kind and id.
	CodeNotFound Code = "not_found"
	// CodeAlreadyExists: a sibling of the same kind has the name, or a
	// create-only write found the id taken.
	CodeAlreadyExists Code = "already_exists"
	// CodeConflict: the write carried an expected version that is no longer
	// current. Maps to FailedPrecondition (or Aborted).
	CodeConflict Code = "conflict"
	// CodeFailedPrecondition: the object is in a state that forbids the
	// operation (a namespace that still has contents, a policy still in use,
	// an object managed by Kubernetes).
	CodeFailedPrecondition Code = "failed_precondition"
	// CodeUnavailable: the database could not be reached, or dropped the
	// connection during the call (a restart, a failover, a lock held too
	// long). The call may succeed when tried again. Maps to Unavailable.
	CodeUnavailable Code = "unavailable"
)

// Error is the typed error every Store method returns for bad input or a
// broken rule. The store is unchanged when one is returned, but for an
// error with CodeUnavailable whose reason says the change may have been
// applied (see [Unavailable]), and one of a read after a write.
type Error struct {
	Code Code
	Kind Kind
	ID   string
	// Field names the offending input field, in snake_case with a dotted path
	// (e.g. "spec.from", "policy_ids[2]"); empty when the error is about the
	// object as a whole.
	Field  string
	Reason string
	// cause is the driver's error behind CodeUnavailable, for logs: its
	// text names hosts and ports that callers are not told.
	cause error
}

// Unwrap returns the driver's error behind an unavailable database.
func (e *Error) Unwrap() error { return e.cause }

func (e *Error) Error() string {
	var b strings.Builder
	if e.Kind != "" {
		b.WriteString(string(e.Kind))
		if e.ID != "" {
			b.WriteString(" ")
			b.WriteString(e.ID)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and friends match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == "" && t.Field == "" && t.Kind == "" && t.ID == "" && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalid            = &Error{Code: CodeInvalid}
	ErrNotFound           = &Error{Code: CodeNotFound}
	ErrAlreadyExists      = &Error{Code: CodeAlreadyExists}
	ErrConflict           = &Error{Code: CodeConflict}
	ErrFailedPrecondition = &Error{Code: CodeFailedPrecondition}
	ErrUnavailable        = &Error{Code: CodeUnavailable}
)

// ErrWrongEncryptionKey is returned when a store is opened with a
// database_encryption_key other than the one its secrets were sealed with.
var ErrWrongEncryptionKey = errors.New("database_encryption_key does not match the key this database was created with")

// CodeOf returns the code of a store error in err's chain, or "" if there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func invalid(k Kind, id, field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Kind: k, ID: id, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// NotFound returns the error for a missing object.
func NotFound(k Kind, id string) *Error {
	return &Error{Code: CodeNotFound, Kind: k, ID: id, Reason: "not found"}
}

// Conflict returns the error for a stale expected version.
func Conflict(k Kind, id string, expected, current int64) *Error {
	return &Error{Code: CodeConflict, Kind: k, ID: id, Field: "version",
		Reason: fmt.Sprintf("expected version %d but the object is at version %d", expected, current)}
}

// Precondition returns a failed-precondition error.
func Precondition(k Kind, id, format string, args ...any) *Error {
	return &Error{Code: CodeFailedPrecondition, Kind: k, ID: id, Reason: fmt.Sprintf(format, args...)}
}

// AlreadyExists returns the error for a taken name or id.
func AlreadyExists(k Kind, id, field, format string, args ...any) *Error {
	return &Error{Code: CodeAlreadyExists, Kind: k, ID: id, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid-argument error about one field.
func Invalid(k Kind, id, field, format string, args ...any) *Error {
	return invalid(k, id, field, format, args...)
}

// Refused returns the error for a write the database refused for a reason
// that lasts until its operator acts, which reason names (a full disk, a
// read-only file): nothing was changed, and the call may succeed once that
// is fixed. Like a database that cannot be reached, it is CodeUnavailable,
// not an internal error: the console is not at fault, and the caller is
// told why. cause is the driver's error.
func Refused(reason string, cause error) *Error {
	return &Error{Code: CodeUnavailable, Reason: reason + "; nothing was changed, try again once that is fixed", cause: cause}
}

// Outcome is what a call the database did not answer knows of the
// change it was making.
type Outcome int

// The outcomes of a call the database did not answer.
const (
	// NotApplied: the call's write transaction failed before its commit,
	// so nothing of it was written.
	NotApplied Outcome = iota
	// MaybeApplied: the connection dropped after the commit was sent;
	// nobody can tell whether it was made.
	MaybeApplied
	// NoWrite: the call was a read. It says nothing of a change the
	// caller made before it (a use case that wrote and then failed to read
	// its result back).
	NoWrite
)

// Unavailable returns the error for a call the database did not answer:
// cause is the driver's error, and the reason says what is known of the
// change (see Outcome). A caller that must know what became of a change
// reads the object again, or sends the request again under the same
// request key (see [RequestKey]), which answers the first attempt's
// outcome.
func Unavailable(o Outcome, cause error) *Error {
	reason := "the database is unavailable: try again"
	switch o {
	case NotApplied:
		reason = "the database is unavailable; this write was not applied: try again"
	case MaybeApplied:
		reason = "the database connection was lost while the change was committed; it may have been applied: read it again, or retry with the same idempotency key"
	}
	return &Error{Code: CodeUnavailable, Reason: reason, cause: cause}
}

package ui

import (
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// refusalStatus is the HTTP status of each code of the use cases.
var refusalStatus = map[manage.Code]int{
	manage.CodeInvalid:            http.StatusBadRequest,
	manage.CodeNotFound:           http.StatusNotFound,
	manage.CodeAlreadyExists:      http.StatusConflict,
	manage.CodeConflict:           http.StatusConflict,
	manage.CodeFailedPrecondition: http.StatusConflict,
	manage.CodePermissionDenied:   http.StatusForbidden,
}

// Status is the HTTP status for an error of the use cases (or, from the
// screens that still call them, of the API's services).
func Status(err error) int {
	if code := manage.CodeOf(err); code != "" {
		return refusalStatus[code]
	}
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return http.StatusBadRequest
	}
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeOutOfRange:
		return http.StatusBadRequest
	case connect.CodeNotFound:
		return http.StatusNotFound
	case connect.CodeAlreadyExists, connect.CodeAborted, connect.CodeFailedPrecondition:
		return http.StatusConflict
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	case connect.CodeUnimplemented:
		return http.StatusNotImplemented
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Message is what a page says about an error of the services: the
// service's own message for the caller's mistakes, nothing of the
// console's insides otherwise.
func Message(err error) string {
	if Status(err) == http.StatusInternalServerError {
		return "internal error; the console logged the details"
	}
	var re *manage.Error
	if errors.As(err, &re) {
		return re.Error()
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return err.Error()
}

// FieldOf returns the field a refusal of the services names and why: a
// store refusal passed on (its own field, e.g. "name" or "version" for a
// stale write) or a service's own "field: reason" message, such as
// "route.from: ...". field is "" when the refusal names none, or is not the
// caller's to correct (not found, not allowed, internal).
func FieldOf(err error) (field, reason string) {
	msg := Message(err)
	if s := Status(err); s != http.StatusBadRequest && s != http.StatusConflict {
		return "", msg
	}
	var re *manage.Error
	if errors.As(err, &re) {
		return re.Field, re.Reason
	}
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return fe.Field, fe.Reason
	}
	var se *store.Error
	if errors.As(err, &se) && se.Field != "" {
		return se.Field, se.Reason
	}
	head, rest, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(head, " \t") {
		return "", msg
	}
	return head, rest
}

// Fail renders the error page for err, logging what the viewer is not
// told.
func (t *Templates) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	if status == http.StatusInternalServerError {
		t.chrome.Log.Error(err, "web request", "method", r.Method, "path", r.URL.Path)
	}
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	t.Render(w, r, status, errorPage, Page{Title: http.StatusText(status), Error: Message(err)})
}

// Refusal is how a list page shows a read that failed: the status and the
// message to render inside the list's results, which a filter swaps through
// htmx (the layout's page error lies outside them and would never show).
// show is false when the page is not to be rendered: the session ended and
// the viewer was sent to sign in.
func (t *Templates) Refusal(w http.ResponseWriter, r *http.Request, err error) (status int, msg string, show bool) {
	status = Status(err)
	switch status {
	case http.StatusUnauthorized:
		t.Fail(w, r, err)
		return status, "", false
	case http.StatusInternalServerError:
		t.chrome.Log.Error(err, "read a list", "path", r.URL.Path)
	}
	return status, Message(err), true
}

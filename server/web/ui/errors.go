package ui

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// refusalStatus is the HTTP status of each code of the use cases.
var refusalStatus = map[manage.Code]int{
	manage.CodeInvalid:            http.StatusBadRequest,
	manage.CodeNotFound:           http.StatusNotFound,
	manage.CodeAlreadyExists:      http.StatusConflict,
	manage.CodeConflict:           http.StatusConflict,
	manage.CodeFailedPrecondition: http.StatusConflict,
	manage.CodePermissionDenied:   http.StatusForbidden,
	// Something the console reached out to (a cluster's databroker) did
	// not answer: the console stood between the viewer and it.
	manage.CodeUnavailable: http.StatusBadGateway,
}

// Status is the HTTP status for an error of the use cases: a refusal's by
// its code, a conversion's 400, anything else (a failure of the console)
// 500.
func Status(err error) int {
	if code := manage.CodeOf(err); code != "" {
		return refusalStatus[code]
	}
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Message is what a page says about an error: a refusal's own message,
// nothing of the console's insides otherwise.
func Message(err error) string {
	if Status(err) == http.StatusInternalServerError {
		return "internal error; the console logged the details"
	}
	return err.Error()
}

// FieldOf returns the input a refusal names (manage.Error.Field, e.g.
// "name", "policy_ids[2]", or "version" for a stale write) and why. field
// is "" when the refusal names none, or is not the caller's to correct
// (not found, not allowed, internal).
func FieldOf(err error) (field, reason string) {
	if s := Status(err); s != http.StatusBadRequest && s != http.StatusConflict {
		return "", Message(err)
	}
	var re *manage.Error
	if errors.As(err, &re) {
		return re.Field, re.Reason
	}
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return fe.Field, fe.Reason
	}
	return "", Message(err)
}

// Fail renders the error page for err, logging what the viewer is not
// told.
func (t *Templates) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	if status == http.StatusInternalServerError {
		t.chrome.Log.Error(err, "web request", "method", r.Method, "path", r.URL.Path)
	}
	t.Render(w, r, status, errorPage, Page{Title: http.StatusText(status), Error: Message(err)})
}

// FailDoing is Fail for an error of a page that was doing something: a
// refusal as the use cases said it, anything else (logged) with what the
// page was doing ("add a cluster").
func (t *Templates) FailDoing(w http.ResponseWriter, r *http.Request, doing string, err error) {
	if Status(err) == http.StatusInternalServerError {
		err = fmt.Errorf("%s: %w", doing, err)
	}
	t.Fail(w, r, err)
}

// Refusal is how a list page shows a read that failed: the status and the
// message to render inside the list's results, which a filter swaps through
// htmx (the layout's page error lies outside them and would never show).
// (A request whose session ended never reaches a page: the sign-in guard
// sends it to sign in.)
func (t *Templates) Refusal(r *http.Request, err error) (status int, msg string) {
	status = Status(err)
	if status == http.StatusInternalServerError {
		t.chrome.Log.Error(err, "read a list", "path", r.URL.Path)
	}
	return status, Message(err)
}

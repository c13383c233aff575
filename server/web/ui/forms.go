package ui

import (
	"fmt"
	"net/http"
	"strings"
)

// MaxFormBytes bounds a form body; certificate uploads and imports are the
// largest.
const MaxFormBytes = 4 << 20

// ParseForm reads a form body of at most MaxFormBytes, url-encoded or
// multipart.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(MaxFormBytes); err != nil {
			return fmt.Errorf("read form: %w", err)
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("read form: %w", err)
	}
	return nil
}

// IsHTMX reports whether the request comes from htmx (a partial update).
func IsHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// Form is what a form page shows after a refused submission: the values as
// sent and the errors per field.
type Form struct {
	Values map[string]string
	Errors map[string]string
}

// NewForm returns an empty form.
func NewForm() *Form { return &Form{Values: map[string]string{}, Errors: map[string]string{}} }

// Get returns a value of the form.
func (f *Form) Get(name string) string { return f.Values[name] }

// Err returns the error of a field.
func (f *Form) Err(name string) string { return f.Errors[name] }

// Refuse records a refusal against the input it names (a form names its
// inputs as the use cases name their input, manage.Error.Field), or
// against the whole form ("") when the form has no such input.
func (f *Form) Refuse(err error) {
	field, reason := FieldOf(err)
	if _, shown := f.Values[field]; shown && field != "" {
		f.Errors[field] = reason
		return
	}
	if field != "" {
		reason = field + ": " + reason
	}
	f.Errors[""] = reason
}

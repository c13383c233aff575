package importer

import (
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// RouteError is a problem with one route of the file. Its message names the
// route and the key, e.g.
//
//	routes[3] (from https://a.example.com): timeout: "5 minutes" is not a duration (write e.g. 30s, 5m or 1h30m)
//
// errors.Is(err, store.ErrInvalid) holds, so that the API answers
// InvalidArgument.
type RouteError struct {
	// List is the top-level key of the route (routes or policy), Index its
	// position there and From its from URL, if it has one.
	List  string
	Index int
	From  string
	// Field is the key path of the problem, e.g. "redirect.port_redirect";
	// empty when the problem is the route as a whole.
	Field string
	Err   error
}

func newRouteError(list string, i int, from string, err error) *RouteError {
	e := &RouteError{List: list, Index: i, From: from, Err: err}
	if pe, ok := err.(*pathError); ok {
		e.Field, e.Err = pe.path, pe.err
	}
	return e
}

func (e *RouteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%d]", e.List, e.Index)
	if e.From != "" {
		fmt.Fprintf(&b, " (from %s)", e.From)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RouteError) Unwrap() error { return e.Err }

// Is makes a RouteError an invalid-argument error of the store's kind.
func (e *RouteError) Is(target error) bool { return target == store.ErrInvalid }

// As lets store.CodeOf see a RouteError as an invalid-argument store error.
func (e *RouteError) As(target any) bool { return asInvalid(e, target) }

// FileError is a problem with the file as a whole or with one of its
// top-level keys.
type FileError struct {
	// Key is the top-level key at fault, or "" for the whole file.
	Key string
	Err error
}

func (e *FileError) Error() string {
	if e.Key == "" {
		return "the file " + e.Err.Error()
	}
	return e.Key + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// Is makes a FileError an invalid-argument error of the store's kind.
func (e *FileError) Is(target error) bool { return target == store.ErrInvalid }

// As lets store.CodeOf see a FileError as an invalid-argument store error.
func (e *FileError) As(target any) bool { return asInvalid(e, target) }

func asInvalid(err error, target any) bool {
	p, ok := target.(**store.Error)
	if ok {
		*p = &store.Error{Code: store.CodeInvalid, Reason: err.Error()}
	}
	return ok
}

// errKubernetesOwned explains why objects of the file cannot be written.
func errKubernetesOwned(clashes []string) error {
	return store.Precondition("", "",
		"the file would overwrite objects managed by Kubernetes, which only their Kubernetes resources may change: %s; rename the routes in the file or import into another namespace",
		strings.Join(clashes, ", "))
}

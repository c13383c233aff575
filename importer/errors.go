package importer

import (
	"cmp"
	"fmt"
	"slices"
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

// Source names the route in the file, e.g. "routes[3]".
func (e *RouteError) Source() string { return fmt.Sprintf("%s[%d]", e.List, e.Index) }

func (e *RouteError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source())
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

// RouteErrors are all the routes of a file that an import refuses, in file
// order: reporting every one at once lets a file be fixed in one round.
// Nothing is written while a route is refused. errors.Is(err,
// store.ErrInvalid) holds, and errors.As finds the first RouteError.
type RouteErrors struct {
	Routes []*RouteError
}

// routeErrors returns the refusals in file order as a *RouteErrors, or nil
// when there are none.
func routeErrors(refused ...[]*RouteError) *RouteErrors {
	all := slices.Concat(refused...)
	if len(all) == 0 {
		return nil
	}
	slices.SortStableFunc(all, func(a, b *RouteError) int {
		// The routes list comes before the older policy list, as Parse
		// reads them.
		return cmp.Or(cmp.Compare(listOrder(a.List), listOrder(b.List)), cmp.Compare(a.Index, b.Index))
	})
	return &RouteErrors{Routes: all}
}

func listOrder(list string) int {
	if list == "policy" {
		return 1
	}
	return 0
}

// Error names one refused route as RouteError does, and several one per
// line, so that a terminal shows each on its own.
func (e *RouteErrors) Error() string {
	if len(e.Routes) == 1 {
		return e.Routes[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d routes are refused:", len(e.Routes))
	for _, r := range e.Routes {
		b.WriteString("\n  ")
		b.WriteString(r.Error())
	}
	return b.String()
}

// Unwrap returns each RouteError.
func (e *RouteErrors) Unwrap() []error {
	errs := make([]error, len(e.Routes))
	for i, r := range e.Routes {
		errs[i] = r
	}
	return errs
}

// Is makes RouteErrors an invalid-argument error of the store's kind.
func (e *RouteErrors) Is(target error) bool { return target == store.ErrInvalid }

// As lets store.CodeOf see RouteErrors as an invalid-argument store error.
func (e *RouteErrors) As(target any) bool { return asInvalid(e, target) }

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

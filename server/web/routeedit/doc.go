// Package routeedit is the route editor of the web console: the page of one
// route, in tabs (general, matchers, timeouts, headers, TLS, load
// balancing), the form that creates a route, and the delete button.
//
// Every tab is its own URL and its own form, which posts only the fields of
// that tab with the version of the route it was read at; the handler reads
// the route again, changes only that tab's fields and writes it with that
// expected version, so that an edit of one tab never loses what another tab
// or another person changed. Fields a form leaves as they were shown keep
// their stored value exactly (an unset field stays unset).
//
// The package reads and writes only through the use cases (manage), as the
// viewer's Caller: they check roles, validate, keep the stored settings the
// editor has no field for, hide secrets and log every change. It must not
// read or write the store itself. The list of routes is another screen's.
package routeedit

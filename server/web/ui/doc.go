// Package ui is what every screen of the web console shares: the page
// layout and its template functions, the viewer of a request (who signed in,
// their roles, the CSRF token), paging and filter URLs, forms and the
// mapping of the use cases' refusals to pages. It holds no screen of its
// own and writes nothing: screens change state only through the use cases
// (package manage).
package ui

// Package store holds the console's desired state: namespaces, policies,
// routes, settings, key pairs, service accounts and namespace permissions,
// together with the activity log of every change and a change feed, and the
// reconciler's findings about each object (status) with a feed of their own.
//
// Every writer (API, web console, Kubernetes controllers, import) goes through
// a [Store]; nothing else writes desired state. The package defines the domain
// types, the rules every backend enforces (see [Validate]), the typed errors
// the API layer maps to status codes, and the [Store] interface. The backends
// live in sub-packages: store/postgres (PostgreSQL through pgx) and
// store/sqlite (the embedded single-file default); both run the SQL engine in
// store/sqldb and pass the one conformance suite in store/storetest.
//
// The store must not talk to the databroker, compile records or know about
// Kubernetes: it stores what it is given, checks it, and tells readers that
// something changed.
package store

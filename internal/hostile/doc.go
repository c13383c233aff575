// Package hostile is a corpus of hostile input that the tests of every
// entry point (the gRPC and Connect APIs, the web console's forms, import
// and apply, the Kubernetes CRDs) send through their own surface: huge
// values, deep nesting, invalid UTF-8, NUL and control characters,
// look-alike hosts, SQL and template metacharacters, long lists, costly
// regexes, PEM bombs and YAML alias bombs.
//
// Each item says where it goes (a Slot: a name, a route's from, a policy's
// PPL, ...) and what every entry point must do with it: refuse it naming
// the field, or store it harmlessly so that it reads back equal. The
// package holds data and its builders only; it imports nothing of ours and
// is imported only by tests.
package hostile

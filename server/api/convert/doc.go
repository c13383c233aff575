// Package convert translates between the messages of the Enterprise Console
// API (pomerium.dashboard) and the store's desired state, in both directions.
//
// Routes and settings share most of their fields with the pomerium.config
// records the store keeps as their spec; those fields are copied generically
// by name (copy.go) and the differences are converted by hand, next to a
// table of every API field that is not taken from input and why. The tests
// hold both tables to the descriptors, so a field added to the protos later
// fails them until it is converted or listed.
//
// Input that cannot be represented is refused with a [*FieldError] naming the
// field; the API layer maps it to InvalidArgument. Conversions from the store
// never fail: what the API cannot show is left out.
//
// The package must not read or write the store, check permissions, or decide
// anything that needs more than the one object at hand (names of referenced
// policies, counts, reconciler status): callers pass such facts in or fill
// the computed fields themselves.
package convert

package manage

import (
	"slices"

	"github.com/pomerium-console/pomerium-console/store"
)

// keepExplicit keeps in an update the explicit fields of the stored object
// (store.Route.Explicit and its kin: the optional fields its writer set to
// their zero value where the object cannot tell that from unset) when the
// writer states none (nil). A writer whose message has no presence beyond
// the object's own (pomerium.config messages, an import, a Route object,
// the web console's forms for namespaces and settings) never saw them, so
// it cannot have meant to clear them. The dashboard API's converters
// always state them, empty when there are none, so that its clients clear
// what they leave out.
func keepExplicit(next, stored store.Object) {
	n, s := store.ExplicitOf(next), store.ExplicitOf(stored)
	if n != nil && s != nil && *n == nil {
		*n = slices.Clone(*s)
	}
}

package compile

import (
	"fmt"
	"strings"
)

// maxNamedConflicts bounds how many other routes one conflict message names.
const maxNamedConflicts = 3

// Routes that claim the same from, prefix, path and regex conflict:
// Pomerium would serve both and Envoy would send every request to whichever
// comes first, so neither is written until the conflict is resolved; each
// gets an error naming the others. Routes that are invalid for another
// reason still take part: their claim is part of the desired state, but they
// keep their own error. settle applies the rule to one route of a group.

func conflictError(e *routeEntry, group []*routeEntry) *fieldError {
	var names []string
	for _, other := range group {
		if other != e {
			names = append(names, "route "+describe(other.meta.Name, other.meta.ID))
		}
	}
	more := ""
	if len(names) > maxNamedConflicts {
		more = fmt.Sprintf(" and %d more", len(names)-maxNamedConflicts)
		names = names[:maxNamedConflicts]
	}
	return fieldErrorf("spec.from", "claims the same from, prefix, path and regex as %s%s", strings.Join(names, ", "), more)
}

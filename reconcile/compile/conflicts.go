package compile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxNamedConflicts bounds how many other routes one conflict message names.
const maxNamedConflicts = 3

// checkConflicts marks every route that claims the same from, prefix, path
// and regex as another route. Pomerium would serve both and Envoy would send
// every request to whichever comes first, so neither is written until the
// conflict is resolved; each gets an error naming the others. Routes that
// are invalid for another reason still take part: their claim is part of
// the desired state, but they keep their own error.
func checkConflicts(entries []*routeEntry) {
	claims := make(map[string][]*routeEntry, len(entries))
	for _, e := range entries {
		if e.matchKey != "" {
			claims[e.matchKey] = append(claims[e.matchKey], e)
		}
	}
	for _, group := range claims {
		if len(group) < 2 {
			continue
		}
		slices.SortFunc(group, func(a, b *routeEntry) int { return cmp.Compare(a.route.ID, b.route.ID) })
		for _, e := range group {
			if e.err == nil {
				e.err = conflictError(e, group)
			}
		}
	}
}

func conflictError(e *routeEntry, group []*routeEntry) *fieldError {
	var names []string
	for _, other := range group {
		if other != e {
			names = append(names, "route "+describe(other.route.Name, other.route.ID))
		}
	}
	more := ""
	if len(names) > maxNamedConflicts {
		more = fmt.Sprintf(" and %d more", len(names)-maxNamedConflicts)
		names = names[:maxNamedConflicts]
	}
	return fieldErrorf("spec.from", "claims the same from, prefix, path and regex as %s%s", strings.Join(names, ", "), more)
}

package routeedit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// setRoute writes the editor's route as the viewer: a create when it has
// no id, else an update of the route at version expected. The editor's
// forms are built on the dashboard API's Route, which has no place for
// every setting of a stored route: Through keeps the stored settings it
// cannot express, which the viewer never saw and so cannot have meant to
// clear.
func (s *screen) setRoute(r *http.Request, route *pb.Route, expected int64) (*manage.Route, error) {
	conv, err := convert.RouteToStore(route)
	var fe *convert.FieldError
	switch {
	case errors.As(err, &fe):
		// Named from the route itself, as the use cases name its fields,
		// so that the refusal finds its form field as theirs do.
		return nil, manage.Refuse(manage.CodeInvalid, strings.TrimPrefix(fe.Field, "route."), "%s", fe.Reason)
	case err != nil:
		return nil, fmt.Errorf("convert the route: %w", err)
	}
	// The editor's route holds the fields it did not change as it read
	// them, with their presence: those set to a zero value stay set.
	conv.Explicit = convert.RouteExplicit(route, conv)
	in := manage.RouteInput{Route: conv, ExpectedVersion: &expected, Through: convert.RouteThrough}
	return s.d.App.SetRoute(r.Context(), ui.ViewerFrom(r.Context()).Caller(), in)
}

package manage

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// RouteInput is a route to write: a create when its id is empty, else an
// update of the stored route with that id.
type RouteInput struct {
	Route *store.Route
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
	// Through, for a writer whose own message cannot hold every field of a
	// route's spec (the dashboard API's Route), is a stored spec after a
	// trip through that message. An update keeps the stored fields that do
	// not survive the trip: the writer never saw them, so it cannot have
	// meant to clear them. Nil: the writer holds every field.
	Through func(*configpb.Route) (*configpb.Route, error)
	// Create makes the write a create even when the route names an id: it
	// takes that id, and one stored with it already is CodeAlreadyExists.
	Create bool
	// mirror: the route keeps the id it has at its source (Mirror).
	mirror bool
}

// GetRoute reads a route the caller may view.
func (a *App) GetRoute(ctx context.Context, c *Caller, id string) (*Route, error) {
	r, err := get[*store.Route](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return one(a.routeViews(ctx, c, r))
}

// ListRoutes reads a page of the routes of a namespace the caller may view.
func (a *App) ListRoutes(ctx context.Context, c *Caller, q ListQuery) (*Page[*Route], error) {
	page, err := list[*store.Route](ctx, a, c, store.KindRoute, q)
	if err != nil {
		return nil, err
	}
	views, err := a.routeViews(ctx, c, page.Items...)
	if err != nil {
		return nil, err
	}
	return &Page[*Route]{Items: views, Total: page.Total, More: page.More}, nil
}

// SetRoute creates or updates a route: editing routes in its namespace
// (and, for an update, where it was) takes EditRoutes; every policy it
// names must be one the caller may see; and a route compilation would
// refuse is refused now, naming the field.
func (a *App) SetRoute(ctx context.Context, c *Caller, in RouteInput) (*Route, error) {
	op, err := a.routePut(ctx, c, in)
	if err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, op.Object, op)
	if err != nil {
		return nil, err
	}
	return one(a.routeViews(ctx, c, written[0].(*store.Route)))
}

// SetRoutes writes several routes in one transaction: all or none. A
// refusal names the route by its index ("routes[2].from").
func (a *App) SetRoutes(ctx context.Context, c *Caller, in []RouteInput) ([]*Route, error) {
	ops := make([]store.Op, len(in))
	for i, r := range in {
		op, err := a.routePut(ctx, c, r)
		if err != nil {
			return nil, inList(err, "routes", i)
		}
		ops[i] = op
	}
	written, err := a.applyList(ctx, c, "routes", ops)
	if err != nil {
		return nil, err
	}
	return a.routeViews(ctx, c, objectsOf[*store.Route](written)...)
}

// routePut checks a route to write and returns its write, pinned to the
// version of the stored route the decision was taken on.
func (a *App) routePut(ctx context.Context, c *Caller, in RouteInput) (*store.PutOp, error) {
	if in.Route == nil {
		return nil, invalid("", "a route is required")
	}
	r := store.Clone(in.Route)
	if r.Spec == nil {
		r.Spec = &configpb.Route{}
	}
	if !store.ValidID(r.NamespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	op := &store.PutOp{Object: r}
	if r.ID == "" {
		// Chosen here, so that a refusal of the store names this route.
		r.ID, op.CreateOnly = uuid.NewString(), true
	} else if in.Create {
		if !store.ValidID(r.ID) {
			return nil, invalid("id", "must be a UUID")
		}
		op.CreateOnly = true
	} else if old, found, err := prior[*store.Route](ctx, a, c, op, in.mirror); err != nil {
		return nil, err
	} else if found {
		if err := c.require(EditRoutes, old.NamespaceID, "id"); err != nil {
			return nil, err
		}
		if err := c.crossing(old.NamespaceID, r.NamespaceID); err != nil {
			return nil, err
		}
		if in.Through != nil && old.Spec != nil {
			keepUnexpressed(r.Spec, old.Spec, throughOf(in.Through, old.Spec))
		}
		if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
			return nil, err
		}
	}
	// Refuse now what compilation would refuse later, so that the caller
	// learns why at once and nothing is written.
	if st := compile.CheckRoute(r.Spec); !st.Valid {
		return nil, invalid(objectPath(st.Field), "%s", st.Reason)
	}
	if err := c.require(EditRoutes, r.NamespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	if err := a.routePolicies(ctx, c, r); err != nil {
		return nil, err
	}
	return op, nil
}

// routePolicies checks that the policies a route names exist, are visible
// to the caller and are within the reach of the route's cluster.
func (a *App) routePolicies(ctx context.Context, c *Caller, r *store.Route) error {
	cluster := c.Cluster(r.NamespaceID)
	for i, id := range r.Spec.GetPolicyIds() {
		p, err := get[*store.Policy](ctx, a, c, indexed("policy_ids", i), id)
		if CodeOf(err) == CodeNotFound {
			// The route is what is refused, for naming the policy.
			return invalid(indexed("policy_ids", i), "policy %s not found", id)
		}
		if err != nil {
			return err
		}
		if err := c.reachable(indexed("policy_ids", i), "policy", id, p.NamespaceID, cluster); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRoute deletes a route: EditRoutes in its namespace.
func (a *App) DeleteRoute(ctx context.Context, c *Caller, id string) error {
	op, err := a.routeDelete(ctx, c, "id", id)
	if err != nil {
		return err
	}
	_, err = a.apply(ctx, c, opObject(op), op)
	return err
}

// DeleteRoutes deletes routes in one transaction: all or none. A refusal
// names the route by its index ("ids[2]").
func (a *App) DeleteRoutes(ctx context.Context, c *Caller, ids []string) error {
	ops := make([]store.Op, len(ids))
	for i, id := range ids {
		op, err := a.routeDelete(ctx, c, "", id)
		if err != nil {
			return inList(err, "ids", i)
		}
		ops[i] = op
	}
	_, err := a.applyList(ctx, c, "ids", ops)
	return err
}

func (a *App) routeDelete(ctx context.Context, c *Caller, field, id string) (*store.DeleteOp, error) {
	r, err := getFor[*store.Route](ctx, a, c, EditRoutes, field, id)
	if err != nil {
		return nil, err
	}
	return &store.DeleteOp{Kind: store.KindRoute, ID: r.ID, ExpectedVersion: r.Version}, nil
}

// MoveRoutes moves routes to another namespace in one transaction: all or
// none. It takes EditRoutes where each route is and where it goes.
func (a *App) MoveRoutes(ctx context.Context, c *Caller, ids []string, to string) error {
	if !store.ValidID(to) {
		return invalid("new_namespace_id", "must be the id of a namespace")
	}
	if err := c.require(EditRoutes, to, "new_namespace_id"); err != nil {
		return err
	}
	ops := make([]store.Op, len(ids))
	for i, id := range ids {
		r, err := getFor[*store.Route](ctx, a, c, EditRoutes, "", id)
		if err == nil {
			err = c.crossing(r.NamespaceID, to)
		}
		if err == nil {
			r.NamespaceID = to
			err = a.routePolicies(ctx, c, r)
		}
		if err != nil {
			return inList(err, "route_ids", i)
		}
		ops[i] = &store.PutOp{Object: r, ExpectedVersion: r.Version}
	}
	_, err := a.applyList(ctx, c, "route_ids", ops)
	return err
}

// applyList writes the ops of a call that takes a list in one transaction.
// A refusal of the store about one of the objects names its element.
func (a *App) applyList(ctx context.Context, c *Caller, list string, ops []store.Op) ([]store.Object, error) {
	out, err := a.write(ctx, c, ops...)
	if err == nil {
		return out, nil
	}
	var se *store.Error
	if errors.As(err, &se) && se.ID != "" {
		for i, op := range ops {
			if obj := opObject(op); sameObject(se, obj) {
				return nil, inList(fromStore(err, obj), list, i)
			}
		}
	}
	return nil, fromStore(err, nil)
}

// opObject is the object an op writes; for a delete, one that carries only
// its kind and id.
func opObject(op store.Op) store.Object {
	switch o := op.(type) {
	case *store.PutOp:
		return o.Object
	case *store.DeleteOp:
		obj := store.NewObject(o.Kind)
		if obj != nil {
			obj.GetObjectMeta().ID = o.ID
		}
		return obj
	}
	return nil
}

package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// routes implements RouteService. Reading a route takes viewer of its
// namespace; writing, deleting and moving take manager of every namespace
// involved.
type routes struct{ *Server }

func (s *routes) GetRoute(ctx context.Context, req *connect.Request[pb.GetRouteRequest]) (*connect.Response[pb.GetRouteResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.readRoute(ctx, a, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	out, err := s.routesOut(ctx, a, r)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetRouteResponse{Route: out[0]}), nil
}

func (s *routes) ListRoutes(ctx context.Context, req *connect.Request[pb.ListRoutesRequest]) (*connect.Response[pb.ListRoutesResponse], error) {
	a, list, total, err := listIn[*store.Route](ctx, s.Server, store.KindRoute, req.Msg)
	if err != nil {
		return nil, err
	}
	out, err := s.routesOut(ctx, a, list...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListRoutesResponse{Routes: out, TotalCount: int64(total)}), nil
}

func (s *routes) SetRoute(ctx context.Context, req *connect.Request[pb.SetRouteRequest]) (*connect.Response[pb.SetRouteResponse], error) {
	if req.Msg.GetRoute() == nil {
		return nil, invalid("route", "is required")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.routeIn(ctx, a, "route", req.Msg.GetRoute())
	if err != nil {
		return nil, err
	}
	written, err := store.Put(ctx, s.store, a.actor(), r, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out, err := s.routesOut(ctx, a, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetRouteResponse{Route: out[0]}), nil
}

func (s *routes) SetRoutes(ctx context.Context, req *connect.Request[pb.SetRoutesRequest]) (*connect.Response[pb.SetRoutesResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	ops := make([]store.Op, len(req.Msg.GetRoutes()))
	for i, in := range req.Msg.GetRoutes() {
		r, err := s.routeIn(ctx, a, indexed("routes", i), in)
		if err != nil {
			return nil, err
		}
		ops[i] = &store.PutOp{Object: r}
	}
	written, err := s.apply(ctx, a, ops)
	if err != nil {
		return nil, err
	}
	out, err := s.routesOut(ctx, a, written...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetRoutesResponse{Routes: out}), nil
}

func (s *routes) DeleteRoute(ctx context.Context, req *connect.Request[pb.DeleteRouteRequest]) (*connect.Response[pb.DeleteRouteResponse], error) {
	if _, err := s.deleteRoutes(ctx, "id", []string{req.Msg.GetId()}); err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.DeleteRouteResponse{}), nil
}

func (s *routes) DeleteRoutes(ctx context.Context, req *connect.Request[pb.DeleteRoutesRequest]) (*connect.Response[pb.DeleteRoutesResponse], error) {
	if _, err := s.deleteRoutes(ctx, "ids", req.Msg.GetIds()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.DeleteRoutesResponse{}), nil
}

// deleteRoutes deletes routes in one transaction, all or none.
func (s *routes) deleteRoutes(ctx context.Context, field string, ids []string) ([]store.Object, error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	ops := make([]store.Op, len(ids))
	for i, id := range ids {
		f := field
		if field == "ids" {
			f = indexed(field, i)
		}
		if _, err := s.readRoute(ctx, a, id, store.RoleManager); err != nil {
			return nil, withField(err, f)
		}
		ops[i] = &store.DeleteOp{Kind: store.KindRoute, ID: id}
	}
	if _, err := s.store.Apply(ctx, a.actor(), ops...); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}

func (s *routes) MoveRoutes(ctx context.Context, req *connect.Request[pb.MoveRoutesRequest]) (*connect.Response[pb.MoveRoutesResponse], error) {
	to := req.Msg.GetNewNamespaceId()
	if !store.ValidID(to) {
		return nil, invalid("new_namespace_id", "must be the id of a namespace")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.require(to, store.RoleManager); err != nil {
		return nil, err
	}
	ops := make([]store.Op, len(req.Msg.GetRouteIds()))
	for i, id := range req.Msg.GetRouteIds() {
		r, err := s.readRoute(ctx, a, id, store.RoleManager)
		if err != nil {
			return nil, withField(err, indexed("route_ids", i))
		}
		r.NamespaceID = to
		ops[i] = &store.PutOp{Object: r, ExpectedVersion: r.Version}
	}
	if _, err := s.apply(ctx, a, ops); err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.MoveRoutesResponse{}), nil
}

// LoadRoutes imports the routes (and their inline policies) of an
// open-source Pomerium configuration file into the Global namespace, the
// way `pomerium-console import` does.
func (s *routes) LoadRoutes(ctx context.Context, req *connect.Request[pb.LoadRoutesRequest]) (*connect.Response[pb.LoadRoutesResponse], error) {
	if len(req.Msg.GetContents()) == 0 {
		return nil, invalid("contents", "is empty: give the YAML of a Pomerium configuration file")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.permit(store.GlobalNamespaceID, store.RoleManager); err != nil {
		return nil, err
	}
	opts := importer.Options{Namespace: store.GlobalNamespaceID, Actor: a.actor()}
	if !a.can(store.GlobalNamespaceID, store.RoleAdmin) {
		// Key pairs and enforced policies the file would write take admin.
		opts.Authorize = importer.NeedsAdmin
	}
	res, err := importer.Import(ctx, s.store, req.Msg.GetContents(), opts)
	var se *store.Error
	var needsAdmin *importer.NeedsAdminError
	switch {
	case errors.As(err, &needsAdmin):
		return nil, connect.NewError(connect.CodePermissionDenied, fmt.Errorf("loading these routes needs admin of the Global namespace: %s", strings.Join(needsAdmin.Reasons, "; ")))
	case errors.As(err, &se):
		return nil, s.fail(ctx, err)
	case err != nil:
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	out := &pb.LoadRoutesResponse{}
	for _, c := range res.Plan {
		if c.Kind != store.KindRoute {
			continue
		}
		r, err := store.Get[*store.Route](ctx, s.store, c.ID)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		conv, err := s.routesOut(ctx, a, r)
		if err != nil {
			return nil, err
		}
		withPolicies := &pb.RouteWithPolicies{Route: conv[0]}
		for _, pid := range r.Spec.GetPolicyIds() {
			p, err := store.Get[*store.Policy](ctx, s.store, pid)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			pout, err := s.policiesOut(ctx, a, p)
			if err != nil {
				return nil, err
			}
			withPolicies.Policies = append(withPolicies.Policies, pout[0])
		}
		out.Routes = append(out.Routes, withPolicies)
	}
	return connect.NewResponse(out), nil
}

// routeIn converts a route of a request and checks that the caller may
// write it where it is and where it goes, and may see the policies it uses.
func (s *routes) routeIn(ctx context.Context, a *access, field string, in *pb.Route) (*store.Route, error) {
	r, err := convert.RouteToStore(in)
	if err != nil {
		var fe *convert.FieldError
		if errors.As(err, &fe) {
			err = fe.WithRoot(field)
		}
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	if !store.ValidID(r.NamespaceID) {
		return nil, invalid(field+".namespace_id", "must be the id of a namespace")
	}
	// Refuse now what compilation would refuse later, so that the caller
	// learns why at once and nothing is written.
	if st := compile.CheckRoute(r.Spec); !st.Valid {
		return nil, invalid(field+strings.TrimPrefix(st.Field, "spec"), "%s", st.Reason)
	}
	if r.ID != "" {
		if _, err := s.readRoute(ctx, a, r.ID, store.RoleManager); err != nil {
			return nil, withField(err, field+".id")
		}
	}
	if err := a.require(r.NamespaceID, store.RoleManager); err != nil {
		return nil, err
	}
	for i, id := range r.Spec.GetPolicyIds() {
		p, err := store.Get[*store.Policy](ctx, s.store, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !a.can(p.NamespaceID, store.RoleViewer)) {
			return nil, invalid(indexed(field+".policy_ids", i), "policy %s not found", id)
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	return r, nil
}

func (s *routes) readRoute(ctx context.Context, a *access, id string, want store.Role) (*store.Route, error) {
	if !store.ValidID(id) {
		return nil, invalid("id", "must be a UUID")
	}
	r, err := store.Get[*store.Route](ctx, s.store, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.can(r.NamespaceID, store.RoleViewer)) {
		return nil, notFound(store.KindRoute, id)
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := a.require(r.NamespaceID, want); err != nil {
		return nil, err
	}
	return r, nil
}

// apply writes ops in one transaction and returns the routes written.
func (s *routes) apply(ctx context.Context, a *access, ops []store.Op) ([]*store.Route, error) {
	written, err := s.store.Apply(ctx, a.actor(), ops...)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := make([]*store.Route, 0, len(written))
	for _, o := range written {
		if r, ok := o.(*store.Route); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

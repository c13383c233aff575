package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// routes implements RouteService over the use cases of routes.
type routes struct{ *Server }

func (s *routes) GetRoute(ctx context.Context, req *connect.Request[pb.GetRouteRequest]) (*connect.Response[pb.GetRouteResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.app.GetRoute(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetRouteResponse{Route: convert.RouteOut(r)}), nil
}

func (s *routes) ListRoutes(ctx context.Context, req *connect.Request[pb.ListRoutesRequest]) (*connect.Response[pb.ListRoutesResponse], error) {
	c, q, err := s.listQuery(ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	page, err := s.app.ListRoutes(ctx, c, q)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListRoutesResponse{TotalCount: int64(page.Total)}
	for _, r := range page.Items {
		out.Routes = append(out.Routes, convert.RouteOut(r))
	}
	return connect.NewResponse(out), nil
}

func (s *routes) SetRoute(ctx context.Context, req *connect.Request[pb.SetRouteRequest]) (*connect.Response[pb.SetRouteResponse], error) {
	if req.Msg.GetRoute() == nil {
		return nil, invalid("route", "is required")
	}
	in, err := routeIn(req.Msg.GetRoute(), "route")
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	in.ExpectedVersion = req.Msg.ExpectedVersion
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.app.SetRoute(ctx, c, in)
	if err != nil {
		return nil, s.fail(ctx, err, at{root: "route"})
	}
	return connect.NewResponse(&pb.SetRouteResponse{Route: convert.RouteOut(r)}), nil
}

func (s *routes) SetRoutes(ctx context.Context, req *connect.Request[pb.SetRoutesRequest]) (*connect.Response[pb.SetRoutesResponse], error) {
	in := make([]manage.RouteInput, len(req.Msg.GetRoutes()))
	for i, r := range req.Msg.GetRoutes() {
		var err error
		if in[i], err = routeIn(r, indexed("routes", i)); err != nil {
			return nil, s.fail(ctx, err, at{})
		}
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, err := s.app.SetRoutes(ctx, c, in)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.SetRoutesResponse{}
	for _, r := range written {
		out.Routes = append(out.Routes, convert.RouteOut(r))
	}
	return connect.NewResponse(out), nil
}

func (s *routes) DeleteRoute(ctx context.Context, req *connect.Request[pb.DeleteRouteRequest]) (*connect.Response[pb.DeleteRouteResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteRoute(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteRouteResponse{}), nil
}

func (s *routes) DeleteRoutes(ctx context.Context, req *connect.Request[pb.DeleteRoutesRequest]) (*connect.Response[pb.DeleteRoutesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteRoutes(ctx, c, req.Msg.GetIds()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteRoutesResponse{}), nil
}

func (s *routes) MoveRoutes(ctx context.Context, req *connect.Request[pb.MoveRoutesRequest]) (*connect.Response[pb.MoveRoutesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.MoveRoutes(ctx, c, req.Msg.GetRouteIds(), req.Msg.GetNewNamespaceId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.MoveRoutesResponse{}), nil
}

// routeIn converts a route of a request, named field there, for the use
// cases, with the optional fields it set to a zero value the spec cannot
// hold; an update keeps the stored fields the message cannot hold.
func routeIn(r *pb.Route, field string) (manage.RouteInput, error) {
	conv, err := convert.RouteToStore(r)
	if err != nil {
		if fe, ok := err.(*convert.FieldError); ok {
			return manage.RouteInput{}, fe.WithRoot(field)
		}
		return manage.RouteInput{}, err
	}
	conv.Explicit = convert.RouteExplicit(r, conv)
	return manage.RouteInput{Route: conv, Through: convert.RouteThrough}, nil
}

// routesWithPolicies reads back the routes an import wrote, each with its
// policies, as LoadRoutes answers.
func (s *routes) routesWithPolicies(ctx context.Context, c *manage.Caller, ids []string) ([]*pb.RouteWithPolicies, error) {
	var out []*pb.RouteWithPolicies
	for _, id := range ids {
		r, err := s.app.GetRoute(ctx, c, id)
		if err != nil {
			return nil, err
		}
		with := &pb.RouteWithPolicies{Route: convert.RouteOut(r)}
		for _, pid := range r.Spec.GetPolicyIds() {
			p, err := s.app.GetPolicy(ctx, c, pid, manage.PolicyReads{WithRoutes: true})
			if err != nil {
				return nil, err
			}
			with.Policies = append(with.Policies, convert.PolicyOut(p))
		}
		out = append(out, with)
	}
	return out, nil
}

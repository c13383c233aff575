package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// policies implements PolicyService over the use cases of policies. Every
// policy comes with the routes that use it.
type policies struct{ *Server }

// withRoutes is what the API's policies come with.
var withRoutes = manage.PolicyReads{WithRoutes: true}

func (s *policies) GetPolicy(ctx context.Context, req *connect.Request[pb.GetPolicyRequest]) (*connect.Response[pb.GetPolicyResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.app.GetPolicy(ctx, c, req.Msg.GetId(), withRoutes)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetPolicyResponse{Policy: convert.PolicyOut(p)}), nil
}

func (s *policies) ListPolicies(ctx context.Context, req *connect.Request[pb.ListPoliciesRequest]) (*connect.Response[pb.ListPoliciesResponse], error) {
	c, q, err := s.listQuery(ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	page, err := s.app.ListPolicies(ctx, c, q, withRoutes)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListPoliciesResponse{TotalCount: int64(page.Total)}
	for _, p := range page.Items {
		out.Policies = append(out.Policies, convert.PolicyOut(p))
	}
	return connect.NewResponse(out), nil
}

func (s *policies) SetPolicy(ctx context.Context, req *connect.Request[pb.SetPolicyRequest]) (*connect.Response[pb.SetPolicyResponse], error) {
	if req.Msg.GetPolicy() == nil {
		return nil, invalid("policy", "is required")
	}
	p, err := convert.PolicyToStore(req.Msg.GetPolicy())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, err := s.app.SetPolicy(ctx, c, manage.PolicyInput{Policy: p, ExpectedVersion: req.Msg.ExpectedVersion, Reads: withRoutes})
	if err != nil {
		return nil, s.fail(ctx, err, at{root: "policy"})
	}
	return connect.NewResponse(&pb.SetPolicyResponse{Policy: convert.PolicyOut(written)}), nil
}

func (s *policies) DeletePolicy(ctx context.Context, req *connect.Request[pb.DeletePolicyRequest]) (*connect.Response[pb.DeletePolicyResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeletePolicy(ctx, c, req.Msg.GetId(), req.Msg.GetRemoveFromAnyAssignedRoutes()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeletePolicyResponse{}), nil
}

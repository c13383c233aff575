package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// policies implements PolicyService. Reading takes viewer of the policy's
// namespace, writing manager; an enforced policy binds every route below
// its namespace, so creating one, changing one or enforcing one takes
// admin.
type policies struct{ *Server }

func (s *policies) GetPolicy(ctx context.Context, req *connect.Request[pb.GetPolicyRequest]) (*connect.Response[pb.GetPolicyResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.readPolicy(ctx, a, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	out, err := s.policiesOut(ctx, a, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetPolicyResponse{Policy: out[0]}), nil
}

func (s *policies) ListPolicies(ctx context.Context, req *connect.Request[pb.ListPoliciesRequest]) (*connect.Response[pb.ListPoliciesResponse], error) {
	a, list, total, err := listIn[*store.Policy](ctx, s.Server, store.KindPolicy, req.Msg)
	if err != nil {
		return nil, err
	}
	out, err := s.policiesOut(ctx, a, list...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListPoliciesResponse{Policies: out, TotalCount: int64(total)}), nil
}

func (s *policies) SetPolicy(ctx context.Context, req *connect.Request[pb.SetPolicyRequest]) (*connect.Response[pb.SetPolicyResponse], error) {
	in := req.Msg.GetPolicy()
	if in == nil {
		return nil, invalid("policy", "is required")
	}
	p, err := convert.PolicyToStore(in)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	if !store.ValidID(p.NamespaceID) {
		return nil, invalid("policy.namespace_id", "must be the id of a namespace")
	}
	if err := compile.ValidatePPL(p.PPL); err != nil {
		return nil, invalid("policy.ppl", "%v", err)
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if p.ID != "" {
		old, err := s.readPolicy(ctx, a, p.ID, store.RoleViewer)
		if err != nil {
			return nil, err
		}
		if err := a.permit(old.NamespaceID, writeRole(old)); err != nil {
			return nil, err
		}
	}
	if err := a.require(p.NamespaceID, writeRole(p)); err != nil {
		return nil, err
	}
	written, err := store.Put(ctx, s.store, a.actor(), p, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out, err := s.policiesOut(ctx, a, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetPolicyResponse{Policy: out[0]}), nil
}

func (s *policies) DeletePolicy(ctx context.Context, req *connect.Request[pb.DeletePolicyRequest]) (*connect.Response[pb.DeletePolicyResponse], error) {
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.readPolicy(ctx, a, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	if err := a.permit(p.NamespaceID, writeRole(p)); err != nil {
		return nil, err
	}
	if req.Msg.GetRemoveFromAnyAssignedRoutes() {
		// Detaching rewrites the routes that use the policy: the caller
		// must be allowed to change each of them.
		ids, err := s.store.ReferencingRoutes(ctx, p.ID)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		for _, id := range ids {
			r, err := store.Get[*store.Route](ctx, s.store, id)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			if err := a.require(r.NamespaceID, store.RoleManager); err != nil {
				return nil, err
			}
		}
	}
	op := store.DeleteOp{Kind: store.KindPolicy, ID: p.ID, DetachFromRoutes: req.Msg.GetRemoveFromAnyAssignedRoutes()}
	if err := store.Delete(ctx, s.store, a.actor(), op); err != nil {
		return nil, s.fail(ctx, err)
	}
	return connect.NewResponse(&pb.DeletePolicyResponse{}), nil
}

// writeRole is the role that changing or deleting a policy takes.
func writeRole(p *store.Policy) store.Role {
	if p.Enforced {
		return store.RoleAdmin
	}
	return store.RoleManager
}

func (s *policies) readPolicy(ctx context.Context, a *access, id string, want store.Role) (*store.Policy, error) {
	if !store.ValidID(id) {
		return nil, invalid("id", "must be a UUID")
	}
	p, err := store.Get[*store.Policy](ctx, s.store, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.can(p.NamespaceID, store.RoleViewer)) {
		return nil, notFound(store.KindPolicy, id)
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := a.require(p.NamespaceID, want); err != nil {
		return nil, err
	}
	return p, nil
}

// policiesOut converts policies with their computed fields: namespace
// name, the routes that use them, sync status and version.
func (s *Server) policiesOut(ctx context.Context, a *access, list ...*store.Policy) ([]*pb.Policy, error) {
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	st, err := s.statuses(ctx, store.KindPolicy, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.Policy, len(list))
	for i, p := range list {
		routes, err := s.routeNames(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		out[i] = convert.PolicyFromStore(p, a.snap.Name(p.NamespaceID), routes, statusOf(st, p.ID))
	}
	return out, nil
}

type withoutPolicyRoutesKey struct{}

// WithoutPolicyRoutes returns a context whose ListPolicies and GetPolicy
// calls leave Policy.routes empty: a surface that pages through the routes
// of a policy itself (the web console) does not pay for naming every route
// that uses a policy, which at 100,000 routes takes seconds.
func WithoutPolicyRoutes(ctx context.Context) context.Context {
	return context.WithValue(ctx, withoutPolicyRoutesKey{}, true)
}

// routeNames returns the routes that use a policy, id to name.
func (s *Server) routeNames(ctx context.Context, policyID string) (map[string]string, error) {
	if skip, _ := ctx.Value(withoutPolicyRoutesKey{}).(bool); skip {
		return nil, nil
	}
	names, err := s.store.ReferencingRouteNames(ctx, policyID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	return names, nil
}

// noCluster refuses a cluster id: clusters are not supported.
func noCluster(id string) error {
	if id != "" {
		return invalid("cluster_id", "clusters are not supported by pomerium-console")
	}
	return nil
}

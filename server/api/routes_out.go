package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// routesOut converts routes with their computed fields: namespace name,
// the names of their policies, the enforced policies that apply to them
// (root namespace first, each level in id order, as compilation adds them),
// sync status and version.
func (s *Server) routesOut(ctx context.Context, a *access, list ...*store.Route) ([]*pb.Route, error) {
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	st, err := s.statuses(ctx, store.KindRoute, ids...)
	if err != nil {
		return nil, err
	}
	policyNames := map[string]string{}
	enforced := map[string][]*store.Policy{} // by namespace: its own enforced policies
	out := make([]*pb.Route, len(list))
	for i, r := range list {
		o := convert.RouteFromStore(r, statusOf(st, r.ID))
		o.NamespaceName = a.snap.Name(r.NamespaceID)
		if !a.can(r.NamespaceID, store.RoleManager) {
			redactRoute(o)
		}
		for _, id := range r.Spec.GetPolicyIds() {
			name, err := s.policyName(ctx, policyNames, id)
			if err != nil {
				return nil, err
			}
			o.PolicyNames = append(o.PolicyNames, name)
		}
		for _, ns := range slices.Backward(a.snap.Ancestry(r.NamespaceID)) {
			own, err := s.enforcedIn(ctx, enforced, ns)
			if err != nil {
				return nil, err
			}
			for _, p := range own {
				o.EnforcedPolicyIds = append(o.EnforcedPolicyIds, p.ID)
				o.EnforcedPolicyNames = append(o.EnforcedPolicyNames, p.Name)
			}
		}
		out[i] = o
	}
	return out, nil
}

func (s *Server) policyName(ctx context.Context, cache map[string]string, id string) (string, error) {
	if name, ok := cache[id]; ok {
		return name, nil
	}
	p, err := store.Get[*store.Policy](ctx, s.store, id)
	if errors.Is(err, store.ErrNotFound) {
		cache[id] = ""
		return "", nil // deleted since: the route's status says so
	}
	if err != nil {
		return "", s.fail(ctx, err)
	}
	cache[id] = p.Name
	return p.Name, nil
}

// enforcedIn returns the enforced policies of one namespace, in id order.
func (s *Server) enforcedIn(ctx context.Context, cache map[string][]*store.Policy, namespaceID string) ([]*store.Policy, error) {
	if got, ok := cache[namespaceID]; ok {
		return got, nil
	}
	all, err := s.store.List(ctx, store.KindPolicy, store.ListQuery{NamespaceID: namespaceID})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var own []*store.Policy
	for _, o := range all.Objects {
		if p := o.(*store.Policy); p.Enforced {
			own = append(own, p)
		}
	}
	slices.SortFunc(own, func(a, b *store.Policy) int { return strings.Compare(a.ID, b.ID) })
	cache[namespaceID] = own
	return own, nil
}

// withField puts the request field that named a missing or forbidden
// object in front of the error's message.
func withField(err error, field string) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return connect.NewError(ce.Code(), errors.New(field+": "+ce.Message()))
	}
	return err
}

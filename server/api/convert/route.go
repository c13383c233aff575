package convert

import (
	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// routeByHand are the fields of pomerium.dashboard.Route that RouteToStore
// converts itself; every other field is copied by name into the
// pomerium.config.Route spec.
var routeByHand = []string{
	// The identity of the route, kept in store.ObjectMeta.
	"id", "namespace_id", "name", "created_at", "modified_at",
	// URLs with their load balancing weights, "http://a,3".
	"to",
	// RedirectAction, against pomerium.config.RouteRedirect.
	"redirect",
	// One message, against jwt_groups_filter and
	// jwt_groups_filter_infer_from_ppl.
	"jwt_groups_filter",
}

// routeUnconverted are the fields of pomerium.dashboard.Route not taken from
// input, with the reason.
var routeUnconverted = map[string]unconverted{
	"deleted_at":            {reason: "a deleted route is gone from the store: the API never shows one"},
	"originator_id":         {reason: "the console writes its own originator id into every record; where an object came from is in sync_status.origin"},
	"namespace_name":        {reason: "computed: the service fills it from the namespace"},
	"policy_names":          {reason: "computed: the service fills it from the policies of policy_ids"},
	"enforced_policy_ids":   {reason: "computed: the service fills it with the enforced policies of the namespace and those above it"},
	"enforced_policy_names": {reason: "computed: the names of enforced_policy_ids"},
	"version":               {reason: "output only (Meta): a write states the version it expects in expected_version"},
	"sync_status":           {reason: "output only (Meta): the reconciler's finding"},
	"redirect.regex_rewrite": {refuse: true, reason: "Pomerium v0.33.0 route records (pomerium.config.RouteRedirect) " +
		"have no regex redirect; use path_redirect or prefix_rewrite"},
}

// routeOutByHand are the fields of the pomerium.config.Route spec that
// RouteFromStore converts itself (or not at all, for the identity the store
// owns); every other field is copied by name or left out.
var routeOutByHand = []string{
	"id", "namespace_id", "originator_id", "name", "created_at", "modified_at", "namespace_name",
	"to", "load_balancing_weights",
	"redirect",
	"jwt_groups_filter", "jwt_groups_filter_infer_from_ppl",
}

var (
	routeIn  = inputCopier("route", routeByHand, routeUnconverted)
	routeOut = outputCopier(routeOutByHand)
)

// RouteToStore converts a route of the API into the store's desired state:
// its identity into ObjectMeta, the rest into the spec. The fields
// routeUnconverted lists are ignored, or refused where it says so; any other
// input that cannot be represented is a *FieldError. RouteExplicit says
// which of its optional fields the result cannot hold.
func RouteToStore(r *pb.Route) (*store.Route, error) {
	spec := &configpb.Route{}
	if err := routeIn.copy(spec, r); err != nil {
		return nil, err
	}
	var err error
	if spec.To, spec.LoadBalancingWeights, err = upstreamsToStore(r.GetTo()); err != nil {
		return nil, err
	}
	if spec.Redirect, err = redirectToStore(r.GetRedirect()); err != nil {
		return nil, err
	}
	spec.JwtGroupsFilter, spec.JwtGroupsFilterInferFromPpl = jwtGroupsFilterToStore(r.GetJwtGroupsFilter())
	created, err := timeOf("route.created_at", r.GetCreatedAt())
	if err != nil {
		return nil, err
	}
	modified, err := timeOf("route.modified_at", r.GetModifiedAt())
	if err != nil {
		return nil, err
	}
	return &store.Route{
		ObjectMeta: store.ObjectMeta{
			ID:          r.GetId(),
			NamespaceID: r.GetNamespaceId(),
			Name:        r.GetName(),
			CreatedAt:   created,
			ModifiedAt:  modified,
		},
		Spec: spec,
	}, nil
}

// RouteExplicit returns the optional fields of r set to a zero value that
// stored, what RouteToStore made of r, cannot hold: what the store keeps
// beside it (store.Route.Explicit).
func RouteExplicit(r *pb.Route, stored *store.Route) []string {
	return ExplicitZeroes(r, RouteFromStore(&store.Route{Spec: stored.Spec}, nil))
}

// RouteFromStore converts a stored route for the API, with the reconciler's
// finding about it (nil: none yet; see Meta), its explicit fields set to
// their zero value. The computed fields (namespace_name, policy_names,
// enforced_policy_ids, enforced_policy_names) are left to the caller. Spec
// fields the API has no place for are left out.
func RouteFromStore(r *store.Route, st *store.ObjectStatus) *pb.Route {
	out := &pb.Route{
		Id:          r.ID,
		NamespaceId: r.NamespaceID,
		Name:        r.Name,
		CreatedAt:   Timestamp(r.CreatedAt),
		ModifiedAt:  Timestamp(r.ModifiedAt),
	}
	out.Version, out.SyncStatus = Meta(r.ObjectMeta, st)
	s := r.Spec
	if s == nil {
		return out
	}
	routeOut.mustCopy(out, s)
	out.To = upstreamsFromStore(s.To, s.LoadBalancingWeights)
	out.Redirect = redirectFromStore(s.Redirect)
	out.JwtGroupsFilter = jwtGroupsFilterFromStore(s.JwtGroupsFilter, s.JwtGroupsFilterInferFromPpl)
	RestoreExplicit(out, r.Explicit)
	return out
}

// RouteOut converts a route as a caller sees it, with what the use cases
// computed for it.
func RouteOut(r *manage.Route) *pb.Route {
	out := RouteFromStore(r.Route, r.Status)
	out.NamespaceName = r.NamespaceName
	out.PolicyNames = r.PolicyNames
	for _, p := range r.Enforced {
		out.EnforcedPolicyIds = append(out.EnforcedPolicyIds, p.ID)
		out.EnforcedPolicyNames = append(out.EnforcedPolicyNames, p.Name)
	}
	return out
}

// RouteThrough is a stored spec after a trip through the API's Route: what
// the API can express of it. An update through the API keeps the stored
// fields that do not survive the trip (manage.RouteInput.Through).
func RouteThrough(spec *configpb.Route) (*configpb.Route, error) {
	back, err := RouteToStore(RouteFromStore(&store.Route{Spec: spec}, nil))
	if err != nil {
		return nil, err
	}
	return back.Spec, nil
}

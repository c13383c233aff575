package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// Route is a route as a caller sees it, with what is computed for it.
type Route struct {
	*store.Route
	// Status is the reconciler's finding about the route; nil before its
	// first.
	Status        *store.ObjectStatus
	NamespaceName string
	// PolicyNames are the names of Spec.PolicyIds, in their order; "" for
	// a policy deleted since (the route's status says so).
	PolicyNames []string
	// Enforced are the enforced policies that apply to the route, in the
	// order compilation adds them.
	Enforced []PolicyRef
	// SecretsHidden says the caller may not read the route's secrets
	// (SeeRouteSecrets): they are cleared, and which were set is not told.
	SecretsHidden bool
}

// PolicyRef names a policy.
type PolicyRef struct {
	ID, Name, NamespaceID string
}

// routeViews computes what a caller sees of routes, reading each policy
// and each namespace's enforced policies once.
func (a *App) routeViews(ctx context.Context, c *Caller, list ...*store.Route) ([]*Route, error) {
	st, err := objectStatuses(ctx, a, c, store.KindRoute, list)
	if err != nil {
		return nil, err
	}
	names := policyNames{a: a, names: map[string]string{}}
	enforced := enforcedPolicies{a: a, own: map[string][]*store.Policy{}}
	out := make([]*Route, len(list))
	for i, r := range list {
		v := &Route{Route: r, Status: st(r), NamespaceName: c.NamespaceName(r.NamespaceID)}
		if !c.May(SeeRouteSecrets, r.NamespaceID) {
			shown, _ := redacted(c, r)
			v.Route, v.SecretsHidden = shown.(*store.Route), true
		}
		for _, id := range r.Spec.GetPolicyIds() {
			name, err := names.of(ctx, id)
			if err != nil {
				return nil, err
			}
			v.PolicyNames = append(v.PolicyNames, name)
		}
		if v.Enforced, err = enforced.of(ctx, c.Ancestry(r.NamespaceID)); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// EnforcedPolicies returns the enforced policies that apply to a route in a
// namespace the caller may view, in the order compilation adds them: what
// a route placed there would get (Route.Enforced for a route that is).
func (a *App) EnforcedPolicies(ctx context.Context, c *Caller, namespaceID string) ([]PolicyRef, error) {
	if !store.ValidID(namespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	if err := c.require(View, namespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	e := enforcedPolicies{a: a, own: map[string][]*store.Policy{}}
	return e.of(ctx, c.Ancestry(namespaceID))
}

// policyNames looks up and remembers the names of policies.
type policyNames struct {
	a     *App
	names map[string]string
}

func (p policyNames) of(ctx context.Context, id string) (string, error) {
	if name, ok := p.names[id]; ok {
		return name, nil
	}
	pol, err := store.Get[*store.Policy](ctx, p.a.store, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.names[id] = ""
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read policy %s: %w", id, err)
	}
	p.names[id] = pol.Name
	return pol.Name, nil
}

// enforcedPolicies looks up and remembers the enforced policies of
// namespaces.
type enforcedPolicies struct {
	a   *App
	own map[string][]*store.Policy
}

// of returns the enforced policies that apply to a route whose namespace
// has the ancestry chain, as compilation orders them.
func (e *enforcedPolicies) of(ctx context.Context, chain []string) ([]PolicyRef, error) {
	for _, ns := range chain {
		if _, ok := e.own[ns]; ok {
			continue
		}
		all, err := e.a.store.List(ctx, store.KindPolicy, store.ListQuery{NamespaceID: ns})
		if err != nil {
			return nil, fmt.Errorf("list the policies of namespace %s: %w", ns, err)
		}
		var own []*store.Policy
		for _, p := range objectsOf[*store.Policy](all.Objects) {
			if p.Enforced {
				own = append(own, p)
			}
		}
		e.own[ns] = own
	}
	var out []PolicyRef
	for _, p := range compile.Enforced(chain, func(ns string) []*store.Policy { return e.own[ns] }) {
		out = append(out, PolicyRef{ID: p.ID, Name: p.Name, NamespaceID: p.NamespaceID})
	}
	return out, nil
}

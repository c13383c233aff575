package routeedit

import (
	"context"
	"fmt"
	"slices"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// maxChoices bounds each list of choices: the use cases' largest page.
const maxChoices = manage.MaxPage

// choices loads what the current tab offers to choose from.
func (s *screen) choices(ctx context.Context, v *ui.Viewer, e *editor) error {
	switch e.Tab {
	case tabGeneral:
		e.Namespaces = managed(v, e.NamespaceID)
		return s.policies(ctx, v, e, chain(v, e.NamespaceID))
	case tabTLS:
		return s.keyPairs(ctx, v, e, chain(v, e.NamespaceID))
	}
	return nil
}

// managed are the namespaces where the viewer may put a route, and the
// route's own whatever the viewer's role there.
func managed(v *ui.Viewer, current string) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if ns.ID == current || v.May(string(manage.EditRoutes), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}

// chain is a namespace and those above it that the viewer may see,
// nearest first, up to the first it may not.
func chain(v *ui.Viewer, id string) []string {
	out := []string{id}
	for i, ns := range v.Caller().Ancestry(id) {
		if i == 0 {
			continue // id itself
		}
		if !v.May(string(manage.View), ns) {
			break
		}
		out = append(out, ns)
	}
	return out
}

// policies offers the policies of the chain; the route's own policies stay
// offered even where the viewer cannot list them, so that saving the tab
// keeps them.
func (s *screen) policies(ctx context.Context, v *ui.Viewer, e *editor, chain []string) error {
	for _, ns := range chain {
		page, err := s.d.App.ListPolicies(ctx, v.Caller(), manage.ListQuery{Namespace: ns, OrderBy: "name", Limit: maxChoices}, manage.PolicyReads{})
		if err != nil {
			return fmt.Errorf("list policies of namespace %s: %w", ns, err)
		}
		for _, p := range page.Items {
			if !p.Enforced { // enforced policies apply anyway
				e.Policies = append(e.Policies, option{Value: p.ID, Label: labelIn(v, p.Name, ns, e.NamespaceID)})
			}
		}
	}
	// What applies, as compilation adds it: the route's own, or for a new
	// route those of the namespace it goes in.
	e.Enforced = e.Route.GetEnforcedPolicyNames()
	if e.Route == nil && e.NamespaceID != "" {
		refs, err := s.d.App.EnforcedPolicies(ctx, v.Caller(), e.NamespaceID)
		if err != nil {
			return fmt.Errorf("read the enforced policies of namespace %s: %w", e.NamespaceID, err)
		}
		for _, p := range refs {
			e.Enforced = append(e.Enforced, p.Name)
		}
	}
	names := e.Route.GetPolicyNames()
	for i, id := range e.Route.GetPolicyIds() {
		name := "policy " + id
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		e.Policies = offer(e.Policies, id, name)
	}
	if id := e.Route.GetUpstreamTunnel().GetSshPolicyId(); id != "" {
		e.Policies = offer(e.Policies, id, "policy "+id)
	}
	return nil
}

// keyPairs offers the key pairs of the chain, and those the route uses.
func (s *screen) keyPairs(ctx context.Context, v *ui.Viewer, e *editor, chain []string) error {
	for _, ns := range chain {
		q := manage.KeyPairQuery{ListQuery: manage.ListQuery{Namespace: ns, OrderBy: "name", Limit: maxChoices}}
		page, err := s.d.App.ListKeyPairs(ctx, v.Caller(), q)
		if err != nil {
			return fmt.Errorf("list key pairs of namespace %s: %w", ns, err)
		}
		for _, kp := range page.Items {
			label := labelIn(v, kp.Name, ns, e.NamespaceID)
			if !kp.HasPrivateKey {
				label += " (certificate only)"
			}
			e.KeyPairs = append(e.KeyPairs, option{Value: kp.ID, Label: label})
		}
	}
	for _, id := range []string{
		e.Route.GetTlsCustomCaKeyPairId(), e.Route.GetTlsClientKeyPairId(), e.Route.GetTlsDownstreamClientCaKeyPairId(),
	} {
		if id != "" {
			e.KeyPairs = offer(e.KeyPairs, id, "key pair "+id)
		}
	}
	return nil
}

// labelIn names a choice, with its namespace when it is not the route's.
func labelIn(v *ui.Viewer, name, ns, routeNS string) string {
	if ns == routeNS {
		return name
	}
	return name + " (from " + v.NamespacePath(ns) + ")"
}

// offer adds a choice unless it is there.
func offer(list []option, value, label string) []option {
	if slices.ContainsFunc(list, func(o option) bool { return o.Value == value }) {
		return list
	}
	return append(list, option{Value: value, Label: label})
}

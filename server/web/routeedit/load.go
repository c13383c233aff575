package routeedit

import (
	"context"
	"fmt"
	"slices"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// maxChoices bounds each list of choices: the services' largest page.
const maxChoices = 1000

// maxDepth bounds the walk up the namespace tree.
const maxDepth = 64

// choices loads what the current tab offers to choose from.
func (s *screen) choices(ctx context.Context, v *ui.Viewer, e *editor) error {
	switch e.Tab {
	case tabGeneral:
		e.Namespaces = managed(v, e.NamespaceID)
		chain, err := s.chain(ctx, v, e.NamespaceID)
		if err != nil {
			return err
		}
		return s.policies(ctx, v, e, chain)
	case tabTLS:
		chain, err := s.chain(ctx, v, e.NamespaceID)
		if err != nil {
			return err
		}
		return s.keyPairs(ctx, v, e, chain)
	}
	return nil
}

// managed are the namespaces where the viewer may put a route, and the
// route's own whatever the viewer's role there.
func managed(v *ui.Viewer, current string) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if ns.ID == current || v.Can(ns.ID, string(store.RoleManager)) {
			out = append(out, ns)
		}
	}
	return out
}

// chain is a namespace and those above it that the viewer may see,
// nearest first.
func (s *screen) chain(ctx context.Context, v *ui.Viewer, id string) ([]string, error) {
	out := []string{id}
	for range maxDepth {
		res, err := s.d.Services.Namespaces.GetNamespace(ctx, connect.NewRequest(&pb.GetNamespaceRequest{Id: id}))
		if err != nil {
			return nil, fmt.Errorf("read namespace %s: %w", id, err)
		}
		id = res.Msg.GetNamespace().GetParentId()
		if id == "" || !v.Can(id, string(store.RoleViewer)) {
			break
		}
		out = append(out, id)
	}
	return out, nil
}

// policies offers the policies of the chain; the route's own policies stay
// offered even where the viewer cannot list them, so that saving the tab
// keeps them.
func (s *screen) policies(ctx context.Context, v *ui.Viewer, e *editor, chain []string) error {
	for _, ns := range chain {
		res, err := s.d.Services.Policies.ListPolicies(ctx, connect.NewRequest(&pb.ListPoliciesRequest{
			Namespace: ns, Limit: new(int64(maxChoices)), OrderBy: new("name"),
		}))
		if err != nil {
			return fmt.Errorf("list policies of namespace %s: %w", ns, err)
		}
		for _, p := range res.Msg.GetPolicies() {
			if p.GetEnforced() {
				e.Enforced = append(e.Enforced, p.GetName())
				continue
			}
			e.Policies = append(e.Policies, option{Value: p.GetId(), Label: labelIn(v, p.GetName(), ns, e.NamespaceID)})
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
		res, err := s.d.Services.KeyChain.ListKeyPairs(ctx, connect.NewRequest(&pb.ListKeyPairsRequest{
			NamespaceId: ns, Limit: new(int64(maxChoices)), OrderBy: new("name"),
		}))
		if err != nil {
			return fmt.Errorf("list key pairs of namespace %s: %w", ns, err)
		}
		for _, kp := range res.Msg.GetKeyPairs() {
			label := labelIn(v, kp.GetName(), ns, e.NamespaceID)
			if !kp.GetHasPrivateKey() {
				label += " (certificate only)"
			}
			e.KeyPairs = append(e.KeyPairs, option{Value: kp.GetId(), Label: label})
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

package convert

import (
	"maps"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// PolicyToStore converts a policy of the API. A policy given by the access
// settings that predate PPL (allowed_users, allowed_domains,
// allowed_idp_claims) and no ppl is translated into the PPL Pomerium
// generates for them; Rego is refused, since neither the console nor the
// Pomerium that reads its records can check it. The computed fields
// (routes, namespace_name) and the timestamps the store keeps are ignored.
func PolicyToStore(p *pb.Policy) (*store.Policy, error) {
	if len(p.Rego) > 0 {
		return nil, fieldErrorf("policy.rego", "is not supported: the console cannot check or evaluate Rego; write the policy in PPL (ppl)")
	}
	ppl := p.Ppl
	if legacy := legacyField(p); legacy != "" {
		if ppl != "" {
			return nil, fieldErrorf("policy."+legacy, "set either ppl or allowed_users, allowed_domains and allowed_idp_claims, not both")
		}
		var err error
		if ppl, err = legacyPPL(p); err != nil {
			return nil, err
		}
	}
	return &store.Policy{
		ObjectMeta: store.ObjectMeta{
			ID:          p.Id,
			NamespaceID: p.NamespaceId,
			Name:        p.Name,
		},
		Description: p.Description,
		PPL:         ppl,
		Enforced:    p.Enforced,
		Explanation: p.Explanation,
		Remediation: p.Remediation,
	}, nil
}

// PolicyFromStore converts a stored policy for the API: its PPL in ppl, the
// legacy access fields empty. The caller looks up the computed fields: the
// name of the policy's namespace and the routes that use it (id to name);
// st is the reconciler's finding about the policy (nil: none yet; see Meta).
func PolicyFromStore(p *store.Policy, namespaceName string, routes map[string]string, st *store.ObjectStatus) *pb.Policy {
	out := &pb.Policy{
		Id:            p.ID,
		NamespaceId:   p.NamespaceID,
		CreatedAt:     Timestamp(p.CreatedAt),
		ModifiedAt:    Timestamp(p.ModifiedAt),
		Name:          p.Name,
		Description:   p.Description,
		Ppl:           p.PPL,
		Enforced:      p.Enforced,
		Explanation:   p.Explanation,
		Remediation:   p.Remediation,
		NamespaceName: namespaceName,
		Routes:        maps.Clone(routes),
	}
	out.Version, out.SyncStatus = Meta(p.ObjectMeta, st)
	return out
}

// PolicyOut converts a policy as a caller sees it, with what the use cases
// computed for it.
func PolicyOut(p *manage.Policy) *pb.Policy {
	return PolicyFromStore(p.Policy, p.NamespaceName, p.Routes, p.Status)
}

// legacyField names the first legacy access field p sets, or "".
func legacyField(p *pb.Policy) string {
	switch {
	case len(p.AllowedUsers) > 0:
		return "allowed_users"
	case len(p.AllowedDomains) > 0:
		return "allowed_domains"
	case len(p.AllowedIdpClaims) > 0:
		return "allowed_idp_claims"
	}
	return ""
}

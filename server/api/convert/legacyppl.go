package convert

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// legacyPPL translates the access settings that predate PPL into the PPL
// Pomerium generates for them (config.Policy.ToPPL): one allow rule with an
// or of one criterion per allowed domain and claim value, and two per
// allowed user, who may be given by id or by email.
func legacyPPL(p *pb.Policy) (string, error) {
	var criteria []map[string]any
	for _, d := range p.AllowedDomains {
		criteria = append(criteria, map[string]any{"domain": map[string]any{"is": d}})
	}
	for _, name := range slices.Sorted(maps.Keys(p.AllowedIdpClaims)) {
		field := fmt.Sprintf("policy.allowed_idp_claims[%q]", name)
		if name == "" || strings.Contains(name, "/") {
			return "", fieldErrorf(field, "is not a claim name")
		}
		for i, v := range p.AllowedIdpClaims[name].GetValues() {
			s, ok := v.GetKind().(*structpb.Value_StringValue)
			if !ok {
				// Pomerium turns any other value into a rule that never
				// matches, which a user reading 123 would not expect.
				return "", fieldErrorf(fmt.Sprintf("%s[%d]", field, i), "is not a string: Pomerium compares claim values as strings")
			}
			criteria = append(criteria, map[string]any{"claim/" + name: s.StringValue})
		}
	}
	for _, u := range p.AllowedUsers {
		criteria = append(criteria,
			map[string]any{"user": map[string]any{"is": u}},
			map[string]any{"email": map[string]any{"is": u}})
	}
	if len(criteria) == 0 {
		return "", fieldErrorf("policy.allowed_idp_claims", "lists no claim values: the policy would allow no one")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"allow": map[string]any{"or": criteria}}); err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	return buf.String(), nil
}

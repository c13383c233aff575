package convert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestPolicyRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	stored := &store.Policy{
		ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "ns", Name: "admins", Version: 4,
			Origin: store.OriginImport, CreatedAt: created, ModifiedAt: created.Add(time.Hour)},
		Description: "d", PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true, Explanation: "e", Remediation: "r",
	}
	routes := map[string]string{"r": "route"}
	out := PolicyFromStore(stored, "team", routes, &store.ObjectStatus{State: store.SyncPending, ObjectVersion: 4})
	want := &pb.Policy{
		Id: "id", NamespaceId: "ns", Name: "admins", CreatedAt: timestamppb.New(created),
		ModifiedAt: timestamppb.New(created.Add(time.Hour)), Description: "d", Ppl: stored.PPL,
		Enforced: true, Explanation: "e", Remediation: "r", NamespaceName: "team", Routes: routes,
		Version: 4, SyncStatus: &consolepb.SyncStatus{Origin: "import", State: "pending", ObjectVersion: 4},
	}
	if diff := cmp.Diff(want, out, protocmp.Transform()); diff != "" {
		t.Errorf("from store (-want +got):\n%s", diff)
	}
	routes["r"] = "changed"
	if out.Routes["r"] != "route" {
		t.Error("the routes of the policy share memory with the caller's map")
	}
	// What a client read and sends back: computed fields are ignored.
	out.OriginatorId = "x"
	back, err := PolicyToStore(out)
	if err != nil {
		t.Fatal(err)
	}
	stored.Version, stored.Origin, stored.CreatedAt, stored.ModifiedAt = 0, "", time.Time{}, time.Time{}
	if diff := cmp.Diff(stored, back); diff != "" {
		t.Errorf("to store (-want +got):\n%s", diff)
	}
}

func TestPolicyLegacyAccess(t *testing.T) {
	t.Parallel()
	got, err := PolicyToStore(&pb.Policy{
		Name:           "legacy",
		AllowedUsers:   []string{"alice@example.com"},
		AllowedDomains: []string{"example.com"},
		AllowedIdpClaims: map[string]*structpb.ListValue{
			"groups": must(structpb.NewList([]any{"admins", "ops"})),
			"dept":   must(structpb.NewList([]any{"yes"})),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `allow:
  or:
    - domain:
        is: example.com
    - claim/dept: "yes"
    - claim/groups: admins
    - claim/groups: ops
    - user:
        is: alice@example.com
    - email:
        is: alice@example.com
`
	if diff := cmp.Diff(want, got.PPL); diff != "" {
		t.Errorf("ppl (-want +got):\n%s", diff)
	}
	if err := compile.ValidatePPL(got.PPL); err != nil {
		t.Errorf("the generated PPL does not validate: %v", err)
	}
}

func TestPolicyToStoreRefuses(t *testing.T) {
	t.Parallel()
	testRefusals(t, func(p *pb.Policy) error { _, err := PolicyToStore(p); return err }, []refusal[*pb.Policy]{
		{"rego", &pb.Policy{Rego: []string{"package pomerium.policy"}},
			"policy.rego: is not supported: the console cannot check or evaluate Rego; write the policy in PPL (ppl)"},
		{"ppl and legacy", &pb.Policy{Ppl: "allow: {or: [accept: true]}", AllowedDomains: []string{"example.com"}},
			"policy.allowed_domains: set either ppl or allowed_users, allowed_domains and allowed_idp_claims, not both"},
		{"claim value not a string", &pb.Policy{AllowedIdpClaims: map[string]*structpb.ListValue{
			"level": must(structpb.NewList([]any{"a", 3.0}))}},
			`policy.allowed_idp_claims["level"][1]: is not a string: Pomerium compares claim values as strings`},
		{"claim name with a slash", &pb.Policy{AllowedIdpClaims: map[string]*structpb.ListValue{
			"a/b": must(structpb.NewList([]any{"x"}))}},
			`policy.allowed_idp_claims["a/b"]: is not a claim name`},
		{"no claim values", &pb.Policy{AllowedIdpClaims: map[string]*structpb.ListValue{"a": {}}},
			"policy.allowed_idp_claims: lists no claim values: the policy would allow no one"},
	})
}

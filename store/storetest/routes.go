package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func testRoutes(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		spec := &configpb.Route{
			From:              "https://app.example.com",
			To:                []string{"https://a.internal", "https://b.internal"},
			Prefix:            "/api",
			Description:       proto.String("the app"),
			Timeout:           durationpb.New(30 * time.Second),
			AllowWebsockets:   true,
			SetRequestHeaders: map[string]string{"X-Team": "blue"},
			PolicyIds:         []string{p.ID},
		}
		r := put(f, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "app"}, Spec: proto.CloneOf(spec)})
		assertEqual(t, "route spec read back", spec, get[*store.Route](f, r.ID).Spec)

		r.Spec.To = []string{"https://c.internal"}
		spec.To = r.Spec.To
		updated := put(f, r)
		if updated.Version <= r.Version {
			t.Errorf("update got version %d, want > %d", updated.Version, r.Version)
		}
		assertEqual(t, "route spec after update", spec, get[*store.Route](f, r.ID).Spec)
	})
	subtest(t, "FromRequired", newEnv, func(t *testing.T, f *fixture) {
		f.rejectsPut(newRoute(store.GlobalNamespaceID, "r", ""), store.CodeInvalid, "spec.from")
	})
	subtest(t, "PolicyIDs", newEnv, testRoutePolicyIDs)
	subtest(t, "InlinePoliciesRefused", newEnv, func(t *testing.T, f *fixture) {
		r := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
		r.Spec.Policies = []*configpb.Policy{{AllowedUsers: []string{"user@example.com"}}}
		f.rejectsPut(r, store.CodeInvalid, "spec.policies")
		r = newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
		r.Spec.PplPolicies = []*configpb.PPLPolicy{{Raw: []byte(testPPL)}}
		f.rejectsPut(r, store.CodeInvalid, "spec.ppl_policies")
	})
	subtest(t, "IdentityFieldsCleared", newEnv, func(t *testing.T, f *fixture) {
		r := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
		r.Spec.Id = proto.String(uuid.NewString())
		r.Spec.NamespaceId = proto.String(uuid.NewString())
		r.Spec.OriginatorId = proto.String("someone-else")
		r.Spec.Name = proto.String("spec name")
		r.Spec.CreatedAt = timestamppb.New(time.Unix(1, 0))
		r.Spec.ModifiedAt = timestamppb.New(time.Unix(2, 0))
		written := put(f, r)
		for what, spec := range map[string]*configpb.Route{
			"returned": written.Spec,
			"read":     get[*store.Route](f, written.ID).Spec,
		} {
			if spec.Id != nil || spec.NamespaceId != nil || spec.OriginatorId != nil || spec.Name != nil ||
				spec.CreatedAt != nil || spec.ModifiedAt != nil {
				t.Errorf("%s spec keeps identity fields: %v", what, spec)
			}
		}
	})
	subtest(t, "SizeLimit", newEnv, func(t *testing.T, f *fixture) {
		r := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
		r.Spec.Description = proto.String(strings.Repeat("d", 2<<20))
		f.rejectsPut(r, store.CodeInvalid, "")
		existing := put(f, newRoute(store.GlobalNamespaceID, "existing", "https://e.example.com"))
		existing.Spec.Description = r.Spec.Description
		f.rejectsPut(existing, store.CodeInvalid, "")
	})
}

func testRoutePolicyIDs(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	gone := put(f, newPolicy(store.GlobalNamespaceID, "gone"))
	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: gone.ID})
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	existing := put(f, newRoute(store.GlobalNamespaceID, "existing", "https://e.example.com", p.ID))

	for _, c := range []struct {
		name  string
		ids   []string
		field string
	}{
		{"not a UUID", []string{p.ID, "not-a-uuid"}, "spec.policy_ids[1]"},
		{"upper case UUID", []string{strings.ToUpper(p.ID)}, "spec.policy_ids[0]"},
		{"unknown policy", []string{uuid.NewString()}, "spec.policy_ids[0]"},
		{"deleted policy", []string{p.ID, gone.ID}, "spec.policy_ids[1]"},
		{"namespace id", []string{ns.ID}, "spec.policy_ids[0]"},
		{"duplicate", []string{p.ID, p.ID}, "spec.policy_ids[1]"},
	} {
		t.Logf("policy ids: %s", c.name)
		f.rejectsPut(newRoute(store.GlobalNamespaceID, "r", "https://r.example.com", c.ids...), store.CodeInvalid, c.field)
		update := store.Clone(existing)
		update.Spec.PolicyIds = c.ids
		f.rejectsPut(update, store.CodeInvalid, c.field)
	}
}

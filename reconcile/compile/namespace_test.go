package compile

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestNamespaceTree(t *testing.T) {
	t.Parallel()
	const (
		cycleA = "f0000000-0000-4000-8000-00000000000a"
		cycleB = "f0000000-0000-4000-8000-00000000000b"
		orphan = "f0000000-0000-4000-8000-00000000000c"
		below  = "f0000000-0000-4000-8000-00000000000d"
		noPar  = "f0000000-0000-4000-8000-00000000000e"
	)
	st := &store.State{Namespaces: append(tree(),
		namespace(cycleA, cycleB, "A"),
		namespace(cycleB, cycleA, "B"),
		namespace(orphan, "f0000000-0000-4000-8000-0000000000ff", "Orphan"),
		namespace(below, orphan, "Below"),
		namespace(noPar, "", "Loose"),
	)}
	res := Compile(st)
	want := map[string]Status{
		nsGlobal: validStatus(),
		nsTeam:   validStatus(),
		nsApp:    validStatus(),
		nsOther:  validStatus(),
		cycleA:   invalid("namespace_id", `namespace "A" (`+cycleA+`) is its own ancestor`),
		cycleB:   invalid("namespace_id", `parent namespace "A" (`+cycleA+`) is not attached to the Global namespace`),
		orphan:   invalid("namespace_id", "parent namespace f0000000-0000-4000-8000-0000000000ff does not exist"),
		below:    invalid("namespace_id", `parent namespace "Orphan" (`+orphan+`) is not attached to the Global namespace`),
		noPar:    invalid("namespace_id", "is required"),
	}
	for id, w := range want {
		if diff := cmp.Diff(w, res.Status[ObjectKey{store.KindNamespace, id}]); diff != "" {
			t.Errorf("namespace %s (-want +got):\n%s", id, diff)
		}
	}
	if len(res.Records) != 0 {
		t.Errorf("namespaces produced %d records, want none", len(res.Records))
	}
}

func TestGlobalWithParent(t *testing.T) {
	t.Parallel()
	res := Compile(&store.State{Namespaces: []*store.Namespace{namespace(nsGlobal, nsTeam, "Global"), namespace(nsTeam, nsGlobal, "Team")}})
	want := invalid("namespace_id", "the Global namespace is the root and cannot have a parent")
	if diff := cmp.Diff(want, res.Status[ObjectKey{store.KindNamespace, nsGlobal}]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestEffectivePolicyIDs covers how own and enforced policies combine.
func TestEffectivePolicyIDs(t *testing.T) {
	t.Parallel()
	policies := []*store.Policy{
		policy(policyID(1), nsGlobal, "global enforced b", allowAll, true),
		policy(policyID(0), nsGlobal, "global enforced a", allowAll, true),
		policy(policyID(2), nsTeam, "team enforced", allowAll, true),
		policy(policyID(3), nsApp, "app enforced", allowAll, true),
		policy(policyID(4), nsOther, "other enforced", allowAll, true),
		policy(policyID(5), nsApp, "app optional", allowAll, false),
		policy(policyID(6), nsOther, "other optional", allowAll, false),
	}
	for _, tc := range []struct {
		name      string
		namespace string
		own       []string
		want      []string
	}{
		{"global", nsGlobal, nil, []string{policyID(0), policyID(1)}},
		{"three levels root first", nsApp, nil, []string{policyID(0), policyID(1), policyID(2), policyID(3)}},
		{"own first in given order", nsApp, []string{policyID(6), policyID(5)}, []string{policyID(6), policyID(5), policyID(0), policyID(1), policyID(2), policyID(3)}},
		{"own enforced not repeated", nsApp, []string{policyID(3), policyID(1)}, []string{policyID(3), policyID(1), policyID(0), policyID(2)}},
		{"duplicates dropped", nsTeam, []string{policyID(5), policyID(5)}, []string{policyID(5), policyID(0), policyID(1), policyID(2)}},
		{"sibling not inherited", nsOther, nil, []string{policyID(0), policyID(1), policyID(4)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &store.State{Namespaces: tree(), Policies: policies, Routes: []*store.Route{
				route(routeID(1), tc.namespace, "r", &configpb.Route{From: "https://a.example.com", To: []string{"https://u"}, PolicyIds: tc.own}),
			}}
			got := findRoute(t, Compile(st), routeID(1)).PolicyIds
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy_ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInvalidEnforcedPolicyBlocksRoutes checks that an enforced policy
// Pomerium would drop makes every route below it invalid, and only those.
func TestInvalidEnforcedPolicyBlocksRoutes(t *testing.T) {
	t.Parallel()
	st := &store.State{
		Namespaces: tree(),
		Policies:   []*store.Policy{policy(policyID(1), nsTeam, "broken", "allow: {and: [{date: x}]}", true)},
		Routes: []*store.Route{
			route(routeID(1), nsApp, "below", simpleRoute("https://a.example.com")),
			route(routeID(2), nsOther, "beside", simpleRoute("https://b.example.com")),
		},
	}
	res := Compile(st)
	want := invalid("namespace_id", `enforced policy "broken" (`+policyID(1)+`) is invalid: ppl: allow.and[0]: unknown criterion "date"`)
	if diff := cmp.Diff(want, res.Status[ObjectKey{store.KindRoute, routeID(1)}]); diff != "" {
		t.Errorf("route below (-want +got):\n%s", diff)
	}
	if got := res.Status[ObjectKey{store.KindRoute, routeID(2)}]; !got.Valid {
		t.Errorf("route beside: %+v, want valid", got)
	}
	if got := res.Status[ObjectKey{store.KindPolicy, policyID(1)}]; got.Valid || got.Field != "ppl" {
		t.Errorf("policy: %+v, want invalid ppl", got)
	}
}

func TestPolicyPlacement(t *testing.T) {
	t.Parallel()
	res := Compile(&store.State{Namespaces: tree(), Policies: []*store.Policy{policy(policyID(1), nsApp+"0", "p", allowAll, false)}})
	want := invalid("namespace_id", "namespace "+nsApp+"0 does not exist")
	if diff := cmp.Diff(want, res.Status[ObjectKey{store.KindPolicy, policyID(1)}]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(res.Records) != 0 {
		t.Errorf("got %d records, want none", len(res.Records))
	}
}

package manage

import (
	"slices"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestEnforcedPoliciesAsCompiled: what the use cases say applies to a
// route is what compilation adds to it, in that order.
func TestEnforcedPoliciesAsCompiled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "Team")
	app := f.namespace(team.ID, "App")
	var want []string
	for _, ns := range []string{store.GlobalNamespaceID, team.ID, app.ID} {
		for _, name := range []string{"b", "a"} {
			p := f.policy(ns, ns+name, true)
			want = append(want, p.ID)
		}
	}
	f.policy(app.ID, "optional", false)
	r := f.route(app.ID, "r", nil)
	st, err := f.store.Load(f.ctx, store.WithSecrets())
	if err != nil {
		t.Fatal(err)
	}
	compiled := compileRoute(t, st, r.ID)
	got, err := f.app.GetRoute(f.ctx, f.admin(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got.Enforced {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, compiled) {
		t.Fatalf("enforced %v, compiled policy_ids %v", ids, compiled)
	}
	refs, err := f.app.EnforcedPolicies(f.ctx, f.admin(), app.ID)
	if err != nil || len(refs) != len(want) {
		t.Fatalf("enforced in the namespace: %v, %v", refs, err)
	}
}

// compileRoute returns the policy_ids compilation writes into a route's
// record.
func compileRoute(t *testing.T, st *store.State, id string) []string {
	t.Helper()
	for _, rec := range compile.Compile(st).Records {
		if rec.GetId() != id {
			continue
		}
		var r configpb.Route
		if err := rec.GetData().UnmarshalTo(&r); err != nil {
			t.Fatal(err)
		}
		return r.PolicyIds
	}
	t.Fatalf("no record of route %s", id)
	return nil
}

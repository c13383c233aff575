package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pomerium-console/pomerium-console/store"
)

func testPolicies(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		in := newPolicy(store.GlobalNamespaceID, "p")
		in.Description, in.Enforced = "who may enter", true
		in.Explanation, in.Remediation = "only staff", "ask the help desk"
		want := *in
		got := get[*store.Policy](f, put(f, in).ID)
		if diff := cmp.Diff(&want, got, cmpopts.IgnoreFields(store.Policy{}, "ObjectMeta")); diff != "" {
			t.Errorf("policy read back (-want +got):\n%s", diff)
		}
	})
	subtest(t, "PPLRequired", newEnv, func(t *testing.T, f *fixture) {
		for _, ppl := range []string{"", "  \n"} {
			p := newPolicy(store.GlobalNamespaceID, "p")
			p.PPL = ppl
			f.rejectsPut(p, store.CodeInvalid, "ppl")
		}
	})
	subtest(t, "PPLSizeLimit", newEnv, func(t *testing.T, f *fixture) {
		p := newPolicy(store.GlobalNamespaceID, "p")
		p.PPL = paddedPPL(store.MaxPPLSize + 1)
		f.rejectsPut(p, store.CodeInvalid, "ppl")
		p.PPL = paddedPPL(store.MaxPPLSize)
		put(f, p)
	})
	subtest(t, "DeleteRefusedWhileReferenced", newEnv, func(t *testing.T, f *fixture) {
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
		r1 := put(f, newRoute(store.GlobalNamespaceID, "r1", "https://r1.example.com", p.ID))
		r2 := put(f, newRoute(ns.ID, "r2", "https://r2.example.com", p.ID))
		put(f, newRoute(store.GlobalNamespaceID, "unrelated", "https://u.example.com"))
		wantReferencing(t, f, p.ID, r1.ID, r2.ID)
		f.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID}, store.CodeFailedPrecondition, "")

		r1.Spec.PolicyIds = nil
		put(f, r1)
		wantReferencing(t, f, p.ID, r2.ID)
		f.del(store.DeleteOp{Kind: store.KindRoute, ID: r2.ID})
		wantReferencing(t, f, p.ID)
		f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID})
	})
	subtest(t, "DetachFromRoutes", newEnv, testDetach)
}

// paddedPPL returns a valid PPL document of exactly n bytes, padded with a
// YAML comment.
func paddedPPL(n int) string {
	pad := n - len(testPPL) - 2
	return testPPL + "#" + strings.Repeat("x", pad) + "\n"
}

func wantReferencing(t *testing.T, f *fixture, policyID string, want ...string) {
	t.Helper()
	got, err := f.s.ReferencingRoutes(f.ctx, policyID)
	if err != nil {
		t.Fatalf("referencing routes: %v", err)
	}
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	assertEqual(t, "routes referencing policy "+policyID, want, got)
	names, err := f.s.ReferencingRouteNames(f.ctx, policyID)
	if err != nil {
		t.Fatalf("referencing route names: %v", err)
	}
	wantNames := map[string]string{}
	for _, id := range want {
		r, err := store.Get[*store.Route](f.ctx, f.s, id)
		if err != nil {
			t.Fatal(err)
		}
		wantNames[id] = r.Name
	}
	assertEqual(t, "names of the routes referencing policy "+policyID, wantNames, names)
}

func testDetach(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	keep := put(f, newPolicy(store.GlobalNamespaceID, "keep"))
	r1 := put(f, newRoute(store.GlobalNamespaceID, "r1", "https://r1.example.com", keep.ID, p.ID))
	r2 := put(f, newRoute(store.GlobalNamespaceID, "r2", "https://r2.example.com", p.ID))
	other := put(f, newRoute(store.GlobalNamespaceID, "other", "https://o.example.com", keep.ID))
	v0 := f.version()

	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID, DetachFromRoutes: true})
	f.wantNotFound(store.KindPolicy, p.ID)
	wantReferencing(t, f, p.ID)

	for _, c := range []struct {
		before *store.Route
		want   []string
	}{{r1, []string{keep.ID}}, {r2, nil}} {
		got := get[*store.Route](f, c.before.ID)
		assertEqual(t, "policy ids of detached route "+got.Name, c.want, got.Spec.PolicyIds)
		if got.Version <= v0 {
			t.Errorf("detached route %s has version %d, want > %d", got.Name, got.Version, v0)
		}
		page, err := f.s.Activity(f.ctx, store.ActivityQuery{EntityID: got.ID})
		if err != nil {
			t.Fatalf("activity: %v", err)
		}
		if !slices.ContainsFunc(page.Entries, func(e *store.ActivityEntry) bool {
			return e.Version == got.Version && e.Action == store.ActionSet
		}) {
			t.Errorf("no set entry at version %d for detached route %s in %+v", got.Version, got.Name, page.Entries)
		}
	}
	if got := get[*store.Route](f, other.ID); got.Version != other.Version {
		t.Errorf("unrelated route moved from version %d to %d", other.Version, got.Version)
	}
}

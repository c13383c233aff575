package storetest

import (
	"fmt"
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
		// An edit that keeps a route's policies keeps it a user.
		r2.Spec.Description = new("edited")
		r2 = put(f, r2)
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
	subtest(t, "UsedPolicyNamesSomeRoutes", newEnv, testUsedPolicyNamesSomeRoutes)
	subtest(t, "ReferencingPages", newEnv, testReferencingPages)
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
	page, err := f.s.ReferencingRoutesPage(f.ctx, policyID, store.PageQuery{Limit: len(want) + 1})
	if err != nil {
		t.Fatalf("a page of referencing routes: %v", err)
	}
	assertEqual(t, "a page of every route referencing policy "+policyID, want, page.IDs)
	if page.TotalCount != len(want) || page.More {
		t.Errorf("routes referencing policy %s counted %d (more %t), want %d", policyID, page.TotalCount, page.More, len(want))
	}
}

// testReferencingPages reads the routes that use a policy a page at a
// time: every page in id order, the count bounded as asked.
func testReferencingPages(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	var ops []store.Op
	for i := range 7 {
		ops = append(ops, &store.PutOp{Object: newRoute(store.GlobalNamespaceID, fmt.Sprintf("r%d", i), fmt.Sprintf("https://r%d.example.com", i), p.ID)})
	}
	ops = append(ops, &store.PutOp{Object: newRoute(store.GlobalNamespaceID, "unrelated", "https://u.example.com")})
	f.apply(apiActor, ops...)
	all, err := f.s.ReferencingRoutes(f.ctx, p.ID)
	if err != nil || len(all) != 7 {
		t.Fatalf("referencing routes: %d, %v; want 7", len(all), err)
	}
	for _, c := range []struct {
		offset, limit, upTo, total int
		more                       bool
	}{
		{0, 3, 0, 7, false},
		{3, 3, 0, 7, false},
		{6, 3, 0, 7, false},
		{9, 3, 0, 7, false}, // past the end
		{0, 3, 4, 4, true},
		{0, 3, 7, 7, false},
		{3, 3, 4, 6, true}, // the page's end is the bound
		{5, 3, 4, 7, false},
	} {
		page, err := f.s.ReferencingRoutesPage(f.ctx, p.ID, store.PageQuery{Offset: c.offset, Limit: c.limit, CountUpTo: c.upTo})
		if err != nil {
			t.Fatalf("page at %d: %v", c.offset, err)
		}
		want := all[min(c.offset, len(all)):min(c.offset+c.limit, len(all))]
		if len(want) == 0 {
			want = nil
		}
		assertEqual(t, fmt.Sprintf("page at %d+%d", c.offset, c.limit), want, page.IDs)
		if page.TotalCount != c.total || page.More != c.more {
			t.Errorf("page at %d+%d up to %d: %d, more %t; want %d, more %t", c.offset, c.limit, c.upTo, page.TotalCount, page.More, c.total, c.more)
		}
	}
	for _, q := range []store.PageQuery{{Offset: -1, Limit: 1}, {Limit: 0}} {
		if _, err := f.s.ReferencingRoutesPage(f.ctx, p.ID, q); store.CodeOf(err) != store.CodeInvalid {
			t.Errorf("page %+v: %v, want invalid argument", q, err)
		}
	}
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

// testUsedPolicyNamesSomeRoutes: the refusal to delete a policy that routes
// use counts them and names the first ten by id, in id order; one used by
// a single route says so in the singular.
func testUsedPolicyNamesSomeRoutes(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	var ids []string
	for i := range 12 {
		r := put(f, newRoute(store.GlobalNamespaceID, fmt.Sprint("r", i), fmt.Sprintf("https://r%d.example.com", i), p.ID))
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	err := f.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID}, store.CodeFailedPrecondition, "")
	want := "is used by 12 routes (" + strings.Join(ids[:10], ", ") + " and 2 more)"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), ids[10]) {
		t.Errorf("error = %v, want it to say %q", err, want)
	}

	one := put(f, newPolicy(store.GlobalNamespaceID, "one"))
	r := put(f, newRoute(store.GlobalNamespaceID, "only", "https://only.example.com", one.ID))
	err = f.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: one.ID}, store.CodeFailedPrecondition, "")
	if want := "is used by 1 route (" + r.ID + ")"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want it to say %q", err, want)
	}
}

package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func testList(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "Routes", newEnv, testListRoutes)
	subtest(t, "Namespaces", newEnv, testListNamespaces)
	subtest(t, "EveryKind", newEnv, testListEveryKind)
	subtest(t, "ManyIDs", newEnv, testListManyIDs)
	subtest(t, "BadQueries", newEnv, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			q     store.ListQuery
			field string
		}{
			{store.ListQuery{OrderBy: "color"}, "order_by"},
			{store.ListQuery{OrderBy: "-color"}, "order_by"},
			{store.ListQuery{Offset: -1}, "offset"},
		} {
			res, err := f.s.List(f.ctx, store.KindRoute, c.q)
			if err == nil {
				t.Errorf("list %+v = %+v, want an error", c.q, res)
				continue
			}
			wantError(t, err, store.CodeInvalid, c.field)
		}
	})
}

// listCase is a query and the names it must return, in order, with the
// total count.
type listCase struct {
	q     store.ListQuery
	names []string
	total int
}

func checkList(t *testing.T, f *fixture, k store.Kind, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		res, err := f.s.List(f.ctx, k, c.q)
		if err != nil {
			t.Errorf("list %s %+v: %v", k, c.q, err)
			continue
		}
		names := make([]string, len(res.Objects))
		for i, o := range res.Objects {
			names[i] = o.GetObjectMeta().Name
			if o.Kind() != k {
				t.Errorf("list %s returned a %s", k, o.Kind())
			}
		}
		assertEqual(t, fmt.Sprintf("names listed by %+v", c.q), c.names, names)
		if res.TotalCount != c.total {
			t.Errorf("list %s %+v: total count %d, want %d", k, c.q, res.TotalCount, c.total)
		}
	}
}

func testListRoutes(t *testing.T, f *fixture) {
	a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
	a1 := put(f, newNamespace(a.ID, "a1"))
	b := put(f, newNamespace(store.GlobalNamespaceID, "b"))

	// Creation order differs from name order, and each write waits for the
	// clock to move so that time orders are total.
	var last store.ObjectMeta
	create := func(r *store.Route) *store.Route {
		if !last.ModifiedAt.IsZero() {
			waitClockPast(t, last.ModifiedAt)
		}
		r = put(f, r)
		last = r.ObjectMeta
		return r
	}
	gamma := newRoute(a1.ID, "gamma", "https://g.example.com")
	gamma.Spec.To = []string{"https://upstream-gamma.internal"}
	gamma = create(gamma)
	alpha := create(newRoute(a.ID, "alpha", "https://alpha.example.com"))
	delta := create(newRoute(b.ID, "delta", "https://d.example.com"))
	create(newRoute(a.ID, "beta", "https://b.example.com"))
	alpha.Spec.Description = new("touched")
	create(alpha)

	byName := []string{"alpha", "beta", "delta", "gamma"}
	checkList(t, f, store.KindRoute, []listCase{
		{store.ListQuery{}, byName, 4},
		{store.ListQuery{OrderBy: "name"}, byName, 4},
		{store.ListQuery{OrderBy: "-name"}, reversed(byName), 4},
		{store.ListQuery{OrderBy: "created_at"}, []string{"gamma", "alpha", "delta", "beta"}, 4},
		{store.ListQuery{OrderBy: "-created_at"}, []string{"beta", "delta", "alpha", "gamma"}, 4},
		{store.ListQuery{OrderBy: "modified_at"}, []string{"gamma", "delta", "beta", "alpha"}, 4},
		{store.ListQuery{OrderBy: "-modified_at"}, []string{"alpha", "beta", "delta", "gamma"}, 4},
		{store.ListQuery{OrderBy: "version"}, []string{"gamma", "delta", "beta", "alpha"}, 4},
		{store.ListQuery{OrderBy: "-version"}, []string{"alpha", "beta", "delta", "gamma"}, 4},
		{store.ListQuery{NamespaceID: a.ID}, []string{"alpha", "beta"}, 2},
		{store.ListQuery{NamespaceID: a.ID, Recursive: true}, []string{"alpha", "beta", "gamma"}, 3},
		{store.ListQuery{NamespaceID: a1.ID, Recursive: true}, []string{"gamma"}, 1},
		{store.ListQuery{NamespaceID: store.GlobalNamespaceID}, nil, 0},
		{store.ListQuery{NamespaceID: store.GlobalNamespaceID, Recursive: true}, byName, 4},
		{store.ListQuery{IDs: []string{gamma.ID, delta.ID}}, []string{"delta", "gamma"}, 2},
		{store.ListQuery{IDs: []string{gamma.ID, delta.ID}, NamespaceID: b.ID}, []string{"delta"}, 1},
		{store.ListQuery{Names: []string{"gamma", "delta", "no such route"}}, []string{"delta", "gamma"}, 2},
		{store.ListQuery{Names: []string{"gamma", "delta"}, NamespaceID: b.ID}, []string{"delta"}, 1},
		{store.ListQuery{Query: "ALP"}, []string{"alpha"}, 1},
		{store.ListQuery{Query: "d.example"}, []string{"delta"}, 1},
		{store.ListQuery{Query: "upstream-GAMMA"}, []string{"gamma"}, 1},
		{store.ListQuery{Query: "no such route"}, nil, 0},
		{store.ListQuery{Offset: 1, Limit: 2}, []string{"beta", "delta"}, 4},
		{store.ListQuery{OrderBy: "-name", Offset: 3, Limit: 5}, []string{"alpha"}, 4},
		{store.ListQuery{Offset: 10}, nil, 4},
		{store.ListQuery{NamespaceID: a.ID, Recursive: true, Query: "a", Limit: 1}, []string{"alpha"}, 3},
		{store.ListQuery{Query: "example.com", OrderBy: "-name", Offset: 1, Limit: 2}, []string{"delta", "beta"}, 4},
		{store.ListQuery{Query: "example.com", Offset: 10}, nil, 4},
		{store.ListQuery{NamespaceID: a.ID, Recursive: true, OrderBy: "-created_at", Offset: 1, Limit: 1}, []string{"alpha"}, 3},
	})
}

func testListNamespaces(t *testing.T, f *fixture) {
	apps := put(f, newNamespace(store.GlobalNamespaceID, "apps"))
	eu := put(f, newNamespace(apps.ID, "apps-eu"))
	put(f, newNamespace(eu.ID, "apps-eu-west"))
	put(f, newNamespace(store.GlobalNamespaceID, "billing"))
	checkList(t, f, store.KindNamespace, []listCase{
		{store.ListQuery{NamespaceID: store.GlobalNamespaceID}, []string{"apps", "billing"}, 2},
		{store.ListQuery{NamespaceID: apps.ID}, []string{"apps-eu"}, 1},
		{store.ListQuery{NamespaceID: apps.ID, Recursive: true}, []string{"apps-eu", "apps-eu-west"}, 2},
		{store.ListQuery{Query: "EU"}, []string{"apps-eu", "apps-eu-west"}, 2},
		{store.ListQuery{NamespaceID: store.GlobalNamespaceID, Limit: 1, Offset: 1}, []string{"billing"}, 2},
	})
	all, err := f.s.List(f.ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		t.Fatalf("list namespaces: %v", err)
	}
	if all.TotalCount != 5 || !slices.Contains(ids(all.Objects), store.GlobalNamespaceID) {
		t.Errorf("unfiltered namespace list = %d of %d, want all 5 including the global namespace", len(all.Objects), all.TotalCount)
	}
}

func testListEveryKind(t *testing.T, f *fixture) {
	a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
	b := put(f, newNamespace(store.GlobalNamespaceID, "b"))
	for _, k := range contentKinds {
		one := put(f, newObject(t, k, a.ID, "one-"+string(k)))
		two := put(f, newObject(t, k, b.ID, "two-"+string(k)))
		for _, c := range []struct {
			q    store.ListQuery
			want []string
		}{
			{store.ListQuery{}, []string{one.GetObjectMeta().ID, two.GetObjectMeta().ID}},
			{store.ListQuery{NamespaceID: a.ID}, []string{one.GetObjectMeta().ID}},
			{store.ListQuery{NamespaceID: store.GlobalNamespaceID, Recursive: true}, []string{one.GetObjectMeta().ID, two.GetObjectMeta().ID}},
			{store.ListQuery{IDs: []string{two.GetObjectMeta().ID}}, []string{two.GetObjectMeta().ID}},
		} {
			res, err := f.s.List(f.ctx, k, c.q)
			if err != nil {
				t.Fatalf("list %s: %v", k, err)
			}
			got := slices.Sorted(slices.Values(ids(res.Objects)))
			assertEqual(t, fmt.Sprintf("ids of %s listed by %+v", k, c.q), slices.Sorted(slices.Values(c.want)), got)
		}
	}
}

// testListManyIDs asks for more ids than a statement may carry parameters
// (PostgreSQL takes 65,535): a policy used by 100,000 routes lists them.
func testListManyIDs(t *testing.T, f *fixture) {
	a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
	one := put(f, newObject(t, store.KindRoute, a.ID, "one"))
	two := put(f, newObject(t, store.KindRoute, a.ID, "two"))
	many := make([]string, 0, 70_002)
	for i := range 70_000 {
		many = append(many, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	many = append(many, two.GetObjectMeta().ID, one.GetObjectMeta().ID)
	res, err := f.s.List(f.ctx, store.KindRoute, store.ListQuery{IDs: many})
	if err != nil {
		t.Fatalf("list by %d ids: %v", len(many), err)
	}
	checkList(t, f, store.KindRoute, []listCase{{store.ListQuery{IDs: many}, []string{"one", "two"}, 2}})
	if len(res.Objects) != 2 {
		t.Fatalf("list by %d ids returned %d objects", len(many), len(res.Objects))
	}
	if _, err := f.s.Status(f.ctx, store.KindRoute, many...); err != nil {
		t.Fatalf("statuses of %d ids: %v", len(many), err)
	}
	if _, err := f.s.ServiceAccountAccess(f.ctx, many...); err != nil {
		t.Fatalf("service account access of %d ids: %v", len(many), err)
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

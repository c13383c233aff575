package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func testList(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "Routes", newEnv, testListRoutes)
	subtest(t, "Namespaces", newEnv, testListNamespaces)
	subtest(t, "EveryKind", newEnv, testListEveryKind)
	subtest(t, "ManyIDs", newEnv, testListManyIDs)
	subtest(t, "PagesFromEitherEnd", newEnv, testListPagesFromEitherEnd)
	subtest(t, "VersionPagesOfScopesOldAndNew", newEnv, testListVersionPagesOfScopesOldAndNew)
	subtest(t, "SearchCountedUpTo", newEnv, testListSearchCountedUpTo)
	subtest(t, "Totals", newEnv, func(t *testing.T, f *fixture) { testListTotals(t, f, newEnv) })
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
		{store.ListQuery{IDs: []string{gamma.ID, delta.ID, gamma.ID, "no such id"}, Limit: 1, Offset: 1}, []string{"gamma"}, 2},
		{store.ListQuery{IDs: []string{gamma.ID}, Query: "GAMMA"}, []string{"gamma"}, 1},
		{store.ListQuery{IDs: []string{alpha.ID, gamma.ID, delta.ID}, NamespaceID: a.ID, Recursive: true}, []string{"alpha", "gamma"}, 2},
		{store.ListQuery{IDs: []string{gamma.ID, delta.ID}, NamespaceID: b.ID}, []string{"delta"}, 1},
		{store.ListQuery{Names: []string{"gamma", "delta", "no such route"}}, []string{"delta", "gamma"}, 2},
		{store.ListQuery{Names: []string{"gamma", "delta"}, NamespaceID: b.ID}, []string{"delta"}, 1},
		{store.ListQuery{Query: "ALP"}, []string{"alpha"}, 1},
		{store.ListQuery{Query: "d.example"}, []string{"delta"}, 1},
		{store.ListQuery{Query: "upstream-GAMMA"}, []string{"gamma"}, 1},
		{store.ListQuery{Query: "no such route"}, nil, 0},
		{store.ListQuery{Query: "alp\x00"}, nil, 0},
		{store.ListQuery{Query: "\x00"}, nil, 0},
		{store.ListQuery{Offset: 1, Limit: 2}, []string{"beta", "delta"}, 4},
		{store.ListQuery{OrderBy: "-name", Offset: 3, Limit: 5}, []string{"alpha"}, 4},
		{store.ListQuery{Offset: 10}, nil, 4},
		{store.ListQuery{NamespaceID: a.ID, Recursive: true, Query: "a", Limit: 1}, []string{"alpha"}, 3},
		{store.ListQuery{NamespaceID: a.ID, Recursive: true, Query: "example.com", Offset: 1}, []string{"beta", "gamma"}, 3},
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

// testListTotals: a list's total, which the store may keep apart from the
// objects, follows creates, moves, deletes (a namespace's with everything
// below it), a deleted route written again and a restore into a new store,
// for every namespace filter: none, one namespace, and one namespace with
// those below it.
func testListTotals(t *testing.T, f *fixture, newEnv newEnvFunc) {
	rnd := rand.New(rand.NewPCG(16, 1))
	namespaces := []string{store.GlobalNamespaceID}
	var routes []string
	pick := func(ids []string) string { return ids[rnd.IntN(len(ids))] }
	var backup bytes.Buffer
	for step := range 240 {
		switch op := rnd.IntN(20); {
		case op < 3 || len(namespaces) < 3:
			namespaces = append(namespaces, put(f, newNamespace(pick(namespaces), fmt.Sprintf("ns-%d", step))).ID)
		case op < 11 || len(routes) == 0:
			routes = append(routes, put(f, newRoute(pick(namespaces), fmt.Sprintf("r-%d", step), fmt.Sprintf("https://r-%d.example.com", step))).ID)
		case op < 13:
			put(f, newPolicy(pick(namespaces), fmt.Sprintf("p-%d", step)))
		case op < 16:
			r := get[*store.Route](f, pick(routes))
			r.NamespaceID = pick(namespaces)
			put(f, r)
		case op < 19:
			i := rnd.IntN(len(routes))
			gone := get[*store.Route](f, routes[i])
			f.del(store.DeleteOp{Kind: store.KindRoute, ID: gone.ID})
			if op == 18 {
				put(f, gone) // the deleted route's id written again
			} else {
				routes = slices.Delete(routes, i, i+1)
			}
		default:
			ns := pick(namespaces[1:])
			f.del(store.DeleteOp{Kind: store.KindNamespace, ID: ns, Cascade: true})
			namespaces, routes = liveIDs(t, f, store.KindNamespace), liveIDs(t, f, store.KindRoute)
		}
		if step == 120 {
			if _, err := f.s.Backup(f.ctx, &backup, store.BackupOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if step%10 == 9 {
			checkTotals(t, f, fmt.Sprintf("after step %d", step))
			checkIndexSums(t, f, fmt.Sprintf("after step %d", step))
		}
	}
	to := &fixture{t: t, ctx: f.ctx, env: newEnv(t)}
	to.s = to.open(testKey)
	if _, err := to.s.Restore(f.ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, to, "after the restore")
	checkIndexSums(t, to, "after the restore")
}

// CheckIndexSums checks that IndexSums in s sums what Index lists: after
// a migration summed the versions of a store written before it, say.
func CheckIndexSums(t *testing.T, s store.Store) {
	t.Helper()
	checkIndexSums(t, &fixture{t: t, ctx: t.Context(), s: s}, "in the store")
}

// checkIndexSums checks that IndexSums, which the store may keep apart from
// the objects, sums what Index lists.
func checkIndexSums(t *testing.T, f *fixture, when string) {
	t.Helper()
	idx, err := f.s.Index(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := f.s.IndexSums(f.ctx, idx.Version, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sums.Version != idx.Version || sums.Written != nil || sums.WrittenOver {
		t.Errorf("sums %s at version %d, index at %d; listed %v written after it (over the limit: %t)",
			when, sums.Version, idx.Version, sums.Written, sums.WrittenOver)
	}
	want := map[store.Kind]store.IndexSum{}
	for _, e := range idx.Entries {
		s := want[e.Kind]
		s.Count++
		s.Versions += e.Version
		want[e.Kind] = s
	}
	assertEqual(t, "index sums "+when, want, sums.Kinds)
}

// liveIDs lists the ids of every live object of kind k.
func liveIDs(t *testing.T, f *fixture, k store.Kind) []string {
	t.Helper()
	res, err := f.s.List(f.ctx, k, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res.Objects))
	for i, o := range res.Objects {
		ids[i] = o.GetObjectMeta().ID
	}
	return ids
}

// CheckListTotals compares the totals of lists of routes, policies and
// namespaces in s with the objects the lists return: after a migration
// counted the objects of a store written before it, say.
func CheckListTotals(t *testing.T, s store.Store) {
	t.Helper()
	checkTotals(t, &fixture{t: t, ctx: t.Context(), s: s}, "in the store")
}

// checkTotals compares the totals of lists of routes, policies and
// namespaces with the objects the lists return.
func checkTotals(t *testing.T, f *fixture, when string) {
	t.Helper()
	nsList, err := f.s.List(f.ctx, store.KindNamespace, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, o := range nsList.Objects {
		parent[o.GetObjectMeta().ID] = o.GetObjectMeta().NamespaceID
	}
	// under reports whether namespace id is ns or below it.
	under := func(id, ns string) bool {
		for ; id != ""; id = parent[id] {
			if id == ns {
				return true
			}
			if id == store.GlobalNamespaceID {
				break
			}
		}
		return false
	}
	for _, k := range []store.Kind{store.KindRoute, store.KindPolicy, store.KindNamespace} {
		all, err := f.s.List(f.ctx, k, store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if all.TotalCount != len(all.Objects) {
			t.Errorf("%s: %s total %d, listed %d", when, k, all.TotalCount, len(all.Objects))
		}
		for _, ns := range append(slices.Collect(maps.Keys(parent)), store.GlobalNamespaceID) {
			var direct, below int
			for _, o := range all.Objects {
				m := o.GetObjectMeta()
				if m.NamespaceID == ns {
					direct++
				}
				if under(m.NamespaceID, ns) {
					below++
				}
			}
			for _, c := range []struct {
				q    store.ListQuery
				want int
			}{
				{store.ListQuery{NamespaceID: ns, Limit: 1}, direct},
				{store.ListQuery{NamespaceID: ns, Recursive: true, Limit: 1}, below},
			} {
				res, err := f.s.List(f.ctx, k, c.q)
				if err != nil {
					t.Fatal(err)
				}
				if res.TotalCount != c.want {
					t.Errorf("%s: %s in %s (recursive %v): total %d, want %d", when, k, ns, c.q.Recursive, res.TotalCount, c.want)
				}
			}
		}
	}
}

// putSpreadRoutes writes 23 routes over Global, a below it and b below a,
// whose names tie across namespaces (r-0 to r-7), and returns a and b.
func putSpreadRoutes(f *fixture) (a, b *store.Namespace) {
	a = put(f, newNamespace(store.GlobalNamespaceID, "a"))
	b = put(f, newNamespace(a.ID, "b"))
	for i := range 23 {
		ns := []string{store.GlobalNamespaceID, a.ID, b.ID}[i%3]
		put(f, newRoute(ns, fmt.Sprintf("r-%d", i%8), fmt.Sprintf("https://r-%d.example.com", i)))
	}
	return a, b
}

// testListPagesFromEitherEnd: every page, at every offset and in every
// order, is the same part of the whole list, pages past the middle (which
// the store may read from the other end) included; names tie across
// namespaces and ids break the ties.
func testListPagesFromEitherEnd(t *testing.T, f *fixture) {
	a, b := putSpreadRoutes(f)
	for _, order := range []string{"name", "-name", "created_at", "-modified_at", "version", "-version"} {
		for _, scope := range []store.ListQuery{{}, {NamespaceID: a.ID, Recursive: true}, {NamespaceID: b.ID}} {
			wantPagesOfWhole(t, f, scope, order, []int{1, 4, 7}, func(n int) []int {
				var at []int
				for offset := 0; offset <= n+1; offset++ {
					at = append(at, offset)
				}
				return at
			})
		}
	}
}

// wantPagesOfWhole checks that each page of the routes of scope in order,
// of each of limits and at each of the offsets offsets gives for the
// whole list's length, is that part of the whole list.
func wantPagesOfWhole(t *testing.T, f *fixture, scope store.ListQuery, order string, limits []int, offsets func(n int) []int) {
	t.Helper()
	q := scope
	q.OrderBy = order
	whole, err := f.s.List(f.ctx, store.KindRoute, q)
	if err != nil {
		t.Fatal(err)
	}
	all := ids(whole.Objects)
	for _, limit := range limits {
		for _, offset := range offsets(len(all)) {
			q.Limit, q.Offset = limit, offset
			res, err := f.s.List(f.ctx, store.KindRoute, q)
			if err != nil {
				t.Fatal(err)
			}
			want := all[min(offset, len(all)):min(offset+limit, len(all))]
			if got := ids(res.Objects); !slices.Equal(got, want) || res.TotalCount != len(all) {
				t.Errorf("list %+v: %v of %d, want %v of %d", q, got, res.TotalCount, want, len(all))
			}
		}
	}
}

// testListVersionPagesOfScopesOldAndNew: pages in version order are the
// same parts of the whole list in a scope written long before the rest of
// the store, in one written last, and in every namespace, among more
// objects than a store may walk for a page in that order before it reads
// the scope otherwise, tombstones and objects of other kinds included.
func testListVersionPagesOfScopesOldAndNew(t *testing.T, f *fixture) {
	old := put(f, newNamespace(store.GlobalNamespaceID, "old"))
	young := put(f, newNamespace(store.GlobalNamespaceID, "young"))
	var ops []store.Op
	for i := range 20 {
		ops = append(ops, &store.PutOp{Object: newRoute(old.ID, fmt.Sprintf("old-%d", i), fmt.Sprintf("https://old-%d.example.com", i))})
	}
	if _, err := f.s.Apply(f.ctx, apiActor, ops...); err != nil {
		t.Fatal(err)
	}
	ops = nil
	for i := range 600 {
		ops = append(ops, &store.PutOp{Object: newRoute(young.ID, fmt.Sprintf("young-%d", i), fmt.Sprintf("https://young-%d.example.com", i))})
	}
	written, err := f.s.Apply(f.ctx, apiActor, ops...)
	if err != nil {
		t.Fatal(err)
	}
	ops = nil
	for _, o := range written[len(written)-100:] {
		ops = append(ops, &store.DeleteOp{Kind: store.KindRoute, ID: o.GetObjectMeta().ID})
	}
	ops = append(ops, &store.PutOp{Object: newPolicy(old.ID, "newest")})
	if _, err := f.s.Apply(f.ctx, apiActor, ops...); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"version", "-version"} {
		for _, scope := range []store.ListQuery{{}, {NamespaceID: old.ID}, {NamespaceID: young.ID}, {NamespaceID: store.GlobalNamespaceID, Recursive: true}} {
			// Offsets growing by a quarter, from either end.
			wantPagesOfWhole(t, f, scope, order, []int{1, 50}, func(n int) []int {
				var at []int
				for offset := 0; offset <= n; offset += 1 + offset/4 {
					at = append(at, offset, max(n-1-offset, 0))
				}
				return at
			})
		}
	}
}

// testListSearchCountedUpTo: a search counted up to a bound lists the same
// page as one counted whole, and its count is exact up to the further of
// the bound and the page's end, with More saying whether more match; a
// list without a search, or without a limit, is counted whole.
func testListSearchCountedUpTo(t *testing.T, f *fixture) {
	a, _ := putSpreadRoutes(f)
	// "example.com" is held by every route, "r-1" by a few, "r" (too
	// short for an index) by every route, "zz" by none.
	for _, text := range []string{"example.com", "r-1", "r", "zz", ""} {
		for _, scope := range []store.ListQuery{{}, {NamespaceID: a.ID}, {NamespaceID: store.GlobalNamespaceID, Recursive: true}} {
			for _, order := range []string{"name", "-created_at"} {
				q := scope
				q.Query, q.OrderBy = text, order
				whole, err := f.s.List(f.ctx, store.KindRoute, q)
				if err != nil {
					t.Fatal(err)
				}
				all := ids(whole.Objects)
				if whole.TotalCount != len(all) || whole.More {
					t.Fatalf("list %+v: %d objects, total %d, more %v", q, len(all), whole.TotalCount, whole.More)
				}
				for _, upTo := range []int{1, 3, 10, 100} {
					for _, limit := range []int{2, 5} {
						for offset := 0; offset <= len(all)+1; offset += 2 {
							q.CountUpTo, q.Limit, q.Offset = upTo, limit, offset
							res, err := f.s.List(f.ctx, store.KindRoute, q)
							if err != nil {
								t.Fatal(err)
							}
							total, more := len(all), false
							if bound := max(upTo, offset+limit); text != "" && total > bound {
								total, more = bound, true
							}
							want := all[min(offset, len(all)):min(offset+limit, len(all))]
							if got := ids(res.Objects); !slices.Equal(got, want) || res.TotalCount != total || res.More != more {
								t.Errorf("list %+v: %v, total %d, more %v; want %v, total %d, more %v", q, got, res.TotalCount, res.More, want, total, more)
							}
						}
					}
				}
				q.CountUpTo, q.Limit, q.Offset = 1, 0, 0
				res, err := f.s.List(f.ctx, store.KindRoute, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(res.Objects); !slices.Equal(got, all) || res.TotalCount != len(all) || res.More {
					t.Errorf("list %+v without a limit: %d objects, total %d, more %v; want all %d", q, len(got), res.TotalCount, res.More, len(all))
				}
			}
		}
	}
}

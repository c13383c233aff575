package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

// TestSearchReadsTheTrigramIndex: a search of three characters or more,
// read from the index, starts from the trigram index and reads only the
// rows it names, in every namespace and in one; a text the index cannot
// answer as LIKE does is compared row by row.
func TestSearchReadsTheTrigramIndex(t *testing.T) {
	t.Parallel()
	s, ok := sqlite.SearchIndex(`abc "d`, "$1")
	if !ok || s.Value != `"abc ""d"` {
		t.Fatalf("the search's phrase: %q, %v; want the text quoted as one FTS5 string", s.Value, ok)
	}
	for _, scope := range []string{"", " AND namespace_id = 'ns'", " AND namespace_id IN (SELECT id FROM objects WHERE kind = 'namespace')"} {
		plan := pagePlan(t, ", count(*) OVER ()", s.From, scope+" AND "+strings.ReplaceAll(s.Match, "$1", `'"abc"'`))
		if !strings.HasPrefix(firstRead(plan), "SCAN objects_search VIRTUAL TABLE") || !slices.Contains(plan, "SEARCH objects USING INTEGER PRIMARY KEY (rowid=?)") {
			t.Errorf("query plan of a search (scope %q):\n%s\nwant the index objects_search read first, then the rows it names", scope, strings.Join(plan, "\n"))
		}
	}
	for _, text := range []string{"ab", "üm", "a\x00bc", "ab\uFFFE", "ab\uFFFD"} {
		if _, ok := sqlite.SearchIndex(text, "$1"); ok {
			t.Errorf("a search for %q: read from the index, want it compared row by row", text)
		}
	}
}

// TestListOfNamedObjectsLooksThemUp: a list of named objects (a page of a
// policy's routes) reads the ids first and looks each object up by its
// key, in every namespace and in one, instead of walking a list index of
// the whole kind.
func TestListOfNamedObjectsLooksThemUp(t *testing.T) {
	t.Parallel()
	ids := `'["a","b"]'`
	for _, scope := range []string{"", " AND namespace_id = 'ns'"} {
		plan := pagePlan(t, "", fmt.Sprintf(sqlite.IDsFirst, ids), scope+" AND id IN (SELECT value FROM json_each("+ids+"))")
		walks := slices.ContainsFunc(plan, func(step string) bool {
			return strings.Contains(step, "objects_list_everywhere") || strings.Contains(step, "objects_namespace") || strings.Contains(step, "objects_list_by_name")
		})
		if !strings.HasPrefix(firstRead(plan), "SCAN json_each") || walks {
			t.Errorf("query plan of a list of named routes (scope %q):\n%s\nwant the ids read first and no list index walked", scope, strings.Join(plan, "\n"))
		}
	}
}

// pagePlan is SQLite's plan for a page of routes as List reads it: the
// page's ids (with columns after them) from the tables of from under the
// conditions and, after the kind's, then the page's rows.
func pagePlan(t *testing.T, columns, from, and string) []string {
	t.Helper()
	return queryPlan(t, "SELECT kind, id FROM objects JOIN (SELECT kind AS page_kind, id AS page_id"+columns+" FROM "+from+
		" WHERE kind = 'route' AND NOT deleted"+and+" ORDER BY name ASC, id ASC LIMIT 50) page ON kind = page_kind AND id = page_id ORDER BY name ASC, id ASC")
}

// firstRead is the first step of plan that reads a table or an index, ""
// when none does.
func firstRead(plan []string) string {
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN ") || strings.HasPrefix(step, "SEARCH ") {
			return step
		}
	}
	return ""
}

// TestSearchIndexKeepsUpWithTheObjects: whatever writes objects (creating,
// renaming, editing, deleting, creating again, a restore, a rebuild of the
// file that renumbers its rows), a search through the trigram index finds
// exactly the live objects whose search text holds the query.
func TestSearchIndexKeepsUpWithTheObjects(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "console.db")
	s, err := (&env{path: path}).Open(t, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	team, err := store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Team Ümlaut"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []*store.Route
	for i := range 40 {
		ns := store.GlobalNamespaceID
		if i%2 == 1 {
			ns = team.ID
		}
		r, err := store.Put(ctx, s, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: fmt.Sprintf("App-%02d", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://app%d.example.com", i), To: []string{fmt.Sprintf(`https://"up%d".internal`, i%7)}}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, r)
	}
	queries := []string{"app-0", "APP1", "example.com", `"up3"`, "p3\".i", "ümlaut", "üm", "team", ".internal\n", "https://app2", "no such text", "app-1", "app\x00", "\x00"}
	check := func(t *testing.T, s store.Store, when string) {
		t.Helper()
		all, err := s.List(ctx, store.KindRoute, store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		namespaces, err := s.List(ctx, store.KindNamespace, store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queries {
			for kind, objs := range map[store.Kind][]store.Object{store.KindRoute: all.Objects, store.KindNamespace: namespaces.Objects} {
				var want []string
				for _, o := range objs {
					if strings.Contains(store.SearchText(o), strings.ToLower(q)) {
						want = append(want, o.GetObjectMeta().ID)
					}
				}
				found, err := s.List(ctx, kind, store.ListQuery{Query: q})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(found.Objects)
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) || found.TotalCount != len(want) {
					t.Errorf("%s: search %q of %s: %d found (total %d) %q, want %d %q", when, q, kind, len(got), found.TotalCount, got, len(want), want)
				}
			}
		}
	}
	check(t, s, "after creating")

	for i, r := range routes[:10] {
		r.Name = fmt.Sprintf("Renamed-%02d", i)
		if routes[i], err = store.Put(ctx, s, actor, r, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range routes[10:20] {
		r.Spec.Description = new("edited, search text unchanged")
		if routes[10+i], err = store.Put(ctx, s, actor, r, 0); err != nil {
			t.Fatal(err)
		}
	}
	queries = append(queries, "renamed-0", "app-05")
	check(t, s, "after renaming and editing")

	for _, r := range routes[20:30] {
		if err := store.Delete(ctx, s, actor, store.DeleteOp{Kind: store.KindRoute, ID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	check(t, s, "after deleting")
	for _, r := range routes[20:25] {
		again := &store.Route{ObjectMeta: store.ObjectMeta{ID: r.ID, NamespaceID: r.NamespaceID, Name: r.Name + "-again"}, Spec: r.Spec}
		if _, err := store.Put(ctx, s, actor, again, 0); err != nil {
			t.Fatal(err)
		}
	}
	queries = append(queries, "-again")
	check(t, s, "after creating deleted routes again")

	var backup bytes.Buffer
	if _, err := s.Backup(ctx, &backup, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	restoredPath := filepath.Join(t.TempDir(), "console.db")
	restored, err := (&env{path: restoredPath}).Open(t, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restored.Restore(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	check(t, restored, "after a restore")

	// A rebuild of the file may number the rows again; the index, filed by
	// their numbers, is built again after it.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, "UPDATE objects SET rowid = rowid + 1000000"); err != nil {
		t.Fatal(err)
	}
	// https://app3 is held by 11 routes of 35: read from the index, which
	// finds none of them while it is stale.
	if found, err := s.List(ctx, store.KindRoute, store.ListQuery{Query: "https://app3"}); err != nil || found.TotalCount != 0 {
		t.Fatalf("a search once the rows are numbered again, before the index is built again: %v, %v; want none found, or this test shows nothing", found, err)
	}
	// A search of a scope holding fewer objects than the index names reads
	// the scope's objects instead: here every route of the team's, which
	// all hold example.com.
	teams, err := s.List(ctx, store.KindRoute, store.ListQuery{NamespaceID: team.ID})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := s.List(ctx, store.KindRoute, store.ListQuery{NamespaceID: team.ID, Query: "example.com"}); err != nil || found.TotalCount != teams.TotalCount {
		t.Fatalf("a search of the team's %d routes for a text every route holds: %v, %v; want them all, found from the rows", teams.TotalCount, found, err)
	}
	if err := sqlite.AfterReseal(ctx, raw); err != nil {
		t.Fatal(err)
	}
	check(t, s, "after the file was rebuilt")
}

// TestSearchIndexBuiltAgainAtOpen: a file whose search index was left to
// build again (a process stopped between a VACUUM and the rebuild) has it
// built when the store next opens.
func TestSearchIndexBuiltAgainAtOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "console.db")
	s := openAt(t, path)
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	for i := range 5 {
		if _, err := store.Put(ctx, s, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("app-%d", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://app%d.example.com", i), To: []string{"https://u.internal"}}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	for _, stmt := range []string{"UPDATE objects SET rowid = rowid + 1000000", "PRAGMA user_version = 1"} {
		if err := raw(stmt); err != nil {
			t.Fatal(err)
		}
	}
	s = openAt(t, path)
	defer s.Close()
	found, err := s.List(ctx, store.KindRoute, store.ListQuery{Query: "app3.example"})
	if err != nil {
		t.Fatal(err)
	}
	if found.TotalCount != 1 || len(found.Objects) != 1 || found.Objects[0].GetObjectMeta().Name != "app-3" {
		t.Fatalf("a search after opening a file whose index was left to build again: %d found, want app-3", found.TotalCount)
	}
	check, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var version int
	if err := check.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != 0 {
		t.Fatalf("user_version after the index was built again: %d, %v; want 0, or every open builds it again", version, err)
	}
}

// TestSearchCountedUpToInALargeScope: a search counted up to a bound in a
// scope of more than 10,000 objects, most of the store's, lists the same
// page as one counted whole, with the count told up to the bound, whether
// its page comes from the list's order (a text many routes hold) or from
// the index's matches (a text a few hold), and whether it looks up its
// whole text in the index or a part of it; and its count comes from the
// index. Not parallel: it sets how searches weigh their texts.
func TestSearchCountedUpToInALargeScope(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	s := openAt(t, path)
	t.Cleanup(func() { _ = s.Close() })
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	big, err := store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "big"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10_050
	for start := 0; start < n; start += 1000 {
		var ops []store.Op
		for i := start; i < min(n, start+1000); i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: big.ID, Name: fmt.Sprintf("r-%05d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://r%05d.example.com", i), To: []string{"https://upstream.internal"}}}})
		}
		if _, err := s.Apply(ctx, actor, ops...); err != nil {
			t.Fatal(err)
		}
	}
	// example.com: every route; 7.example: 1,005 (a page from the list's
	// order); 77.example: 100; 77.exomple: none (no route holds exo);
	// r0012: 10 (a page from the index's matches, unless the bound is
	// passed), a part of which more routes hold; r-0: 10,000. The
	// scopes: every namespace, the routes' namespace, and Global with
	// those below it.
	scopes := []store.ListQuery{{}, {NamespaceID: big.ID}, {NamespaceID: store.GlobalNamespaceID, Recursive: true}}
	type search struct {
		text                string
		upTo, offset, limit int
		order               string
	}
	searches := []search{
		{"example.com", 10_000, 0, 50, ""},
		{"example.com", 100, 9_990, 50, "-created_at"},
		{"7.example", 10_000, 0, 50, ""},
		{"7.example", 100, 60, 50, "-name"},
		{"7.example", 10_000, 1_000, 50, "modified_at"},
		{"77.example", 10_000, 0, 50, ""},
		{"77.example", 10, 20, 50, "-name"},
		{"77.exomple", 10_000, 0, 50, ""},
		{"r0012", 10_000, 0, 50, ""},
		{"r0012", 5, 2, 3, "-created_at"},
		{"r0012", 10_000, 10, 50, ""},
		{"r-0", 10_000, 9_980, 50, ""},
		{"zzz", 10_000, 0, 50, ""},
	}
	query := func(c search, scope store.ListQuery) store.ListQuery {
		q := scope
		q.Query, q.Offset, q.Limit, q.OrderBy = c.text, c.offset, c.limit, c.order
		return q
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	// What each search finds, counted whole and with every text looked
	// up whole.
	sqlite.Narrowing(t, 256, math.Inf(1), 256)
	want := map[string]*store.ListResult{}
	for _, c := range searches {
		for _, scope := range scopes {
			q := query(c, scope)
			if want[fmt.Sprint(q)], err = s.List(ctx, store.KindRoute, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, narrowing := range []struct {
		name          string
		sample        int
		from, compare float64
	}{
		{"as shipped", 256, 100_000, 256},
		{"a part looked up whenever it costs less", 8, 0, 4},
	} {
		sqlite.Narrowing(t, narrowing.sample, narrowing.from, narrowing.compare)
		// What 77.example and r0012 look up. As shipped, their whole
		// texts: 10,052 rows cannot reach the 100,000 index entries
		// below which a text is not weighed. When a part is looked up
		// whenever it costs less, 77.example's rarest part, 77.
		// (which only those 100 routes hold), and a part of r0012
		// that more routes hold than the 10 that hold r0012: their
		// pages above then compare those rows with the whole text.
		wantPart := narrowing.from == 0
		part, narrowed, err := sqlite.Narrow(ctx, raw, "77.example")
		if err != nil || narrowed != wantPart || wantPart && part != `"77."` {
			t.Errorf("%s: 77.example looks up %q (a part: %v, %v); want a part: %v, \"77.\"", narrowing.name, part, narrowed, err, wantPart)
		}
		part, narrowed, err = sqlite.Narrow(ctx, raw, "r0012")
		if err != nil || narrowed != wantPart {
			t.Errorf("%s: r0012 looks up %q (a part: %v, %v); want a part: %v", narrowing.name, part, narrowed, err, wantPart)
		} else if narrowed {
			holders, err := s.List(ctx, store.KindRoute, store.ListQuery{Query: strings.Trim(part, `"`)})
			if err != nil {
				t.Fatal(err)
			}
			if holders.TotalCount <= 10 {
				t.Errorf("%s: r0012 looks up %s, which %d routes hold; want a part more than r0012's 10 hold", narrowing.name, part, holders.TotalCount)
			}
		}
		for _, c := range searches {
			for _, scope := range scopes {
				q := query(c, scope)
				whole := want[fmt.Sprint(q)]
				// Counted whole and up to the bound.
				counted := q
				counted.CountUpTo = c.upTo
				for _, bounded := range []store.ListQuery{q, counted} {
					got, err := s.List(ctx, store.KindRoute, bounded)
					if err != nil {
						t.Fatal(err)
					}
					total, more := whole.TotalCount, false
					if b := max(bounded.CountUpTo, c.offset+c.limit); bounded.CountUpTo > 0 && total > b {
						total, more = b, true
					}
					if !slices.Equal(ids(got.Objects), ids(whole.Objects)) || got.TotalCount != total || got.More != more {
						t.Errorf("%s: search %+v: %d objects, total %d, more %v; want %d objects %v, total %d, more %v", narrowing.name,
							bounded, len(got.Objects), got.TotalCount, got.More, len(whole.Objects), ids(whole.Objects)[:min(3, len(whole.Objects))], total, more)
					}
				}
			}
		}
	}

	// With the rows numbered again and the index not built again, a count
	// from the index finds nothing: a text every route holds, counted up
	// to a bound, is counted from the index, not from the rows.
	sqlite.Narrowing(t, 256, 100_000, 256)
	if err := rawDB(t, path)("UPDATE objects SET rowid = rowid + 1000000"); err != nil {
		t.Fatal(err)
	}
	for _, scope := range scopes {
		q := scope
		q.Query, q.Limit, q.CountUpTo = "example.com", 50, 100
		got, err := s.List(ctx, store.KindRoute, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != 0 {
			t.Errorf("a bounded search %+v once the index is stale: %d found; want none, counted from the index", q, got.TotalCount)
		}
	}
}

func ids(objs []store.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetObjectMeta().ID
	}
	return out
}

// TestSearchIndexMergedByTheStore: writes leave the search index's
// segments to the store (FTS5's automerge is off), which merges them at
// its checkpoints, and a search finds what it did before the merge.
func TestSearchIndexMergedByTheStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "console.db")
	open := func(every time.Duration) *sqlite.Store {
		s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, 32), Logger: testr.New(t), CheckpointInterval: every})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	segments := func() int {
		var n int
		if err := raw.QueryRowContext(t.Context(), "SELECT count(DISTINCT segid) FROM objects_search_idx").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Written by a store that does not merge before the test is done: a
	// segment each commit that indexes a text, 25 of them, which FTS5
	// merges only sixteen at a time, and deletions on top.
	writer := open(time.Hour)
	var automerge string
	if err := raw.QueryRowContext(t.Context(), "SELECT v FROM objects_search_config WHERE k = 'automerge'").Scan(&automerge); err != nil || automerge != "0" {
		t.Fatalf("the search index's automerge: %q, %v; want 0", automerge, err)
	}
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	var routes []*store.Route
	for i := range 20 {
		r, err := store.Put(ctx, writer, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("merged-%02d", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://merged%02d.example.com", i), To: []string{"https://upstream.internal"}}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, r)
	}
	for i, r := range routes[:5] {
		r.Name = fmt.Sprintf("renamed-%02d", i)
		if routes[i], err = store.Put(ctx, writer, actor, r, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range routes[5:10] {
		if err := store.Delete(ctx, writer, actor, store.DeleteOp{Kind: store.KindRoute, ID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if n := segments(); n <= 3 {
		t.Fatalf("%d segments after the writes: too few to tell", n)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}

	// Merged, every level holds fewer than four segments (FTS5's
	// usermerge): here three at most.
	s := open(20 * time.Millisecond)
	wait.Until(t, "the search index merged", 10*time.Second, func() (bool, string) {
		n := segments()
		return n <= 3, fmt.Sprintf("%d segments", n)
	})

	want := map[string][]string{"renamed-0": ids(toObjects(routes[:5])), "merged-0": nil, "merged": ids(toObjects(append(routes[:5:5], routes[10:]...))), "merged07": nil, "merged13": {routes[13].ID}}
	for q, want := range want {
		found, err := s.List(ctx, store.KindRoute, store.ListQuery{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(found.Objects)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("search %q after the merge: %q, want %q", q, got, want)
		}
	}
}

func toObjects[T store.Object](objs []T) []store.Object {
	out := make([]store.Object, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

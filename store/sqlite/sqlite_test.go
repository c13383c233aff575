package sqlite_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// env is one database file; every Open is another process opening it.
type env struct{ path string }

func (e *env) Open(t *testing.T, key []byte) (store.Store, error) {
	s, err := sqlite.Open(t.Context(), sqlite.Options{Path: e.path, EncryptionKey: key, Logger: testr.New(t)})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, nil
}

// BreakFeed: the embedded store's feed has no connection to lose.
func (e *env) BreakFeed(*testing.T) bool { return false }

// Exec runs query on the file with a connection of its own.
func (e *env) Exec(t *testing.T, query string, args ...any) {
	storetest.ExecFile(t, e.path, query, args...)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Env {
		return &env{path: filepath.Join(t.TempDir(), "console.db")}
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) store.Store {
		s, err := sqlite.Open(b.Context(), sqlite.Options{
			Path: filepath.Join(b.TempDir(), "console.db"), EncryptionKey: make([]byte, store.EncryptionKeySize),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := s.Close(); err != nil {
				b.Errorf("close: %v", err)
			}
		})
		return s
	})
}

// TestOpenRecordsKeyPairReferencesOfOlderRows opens a store whose rows were
// written before key pair references were recorded, and checks that the key
// pair a route uses is then protected from deletion.
func TestOpenRecordsKeyPairReferencesOfOlderRows(t *testing.T) {
	t.Parallel()
	e, s := openFresh(t)
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	r, err := store.Put(ctx, s, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "r"},
		Spec: &configpb.Route{From: "https://r.example.com", To: []string{"https://u.internal"}, TlsCustomCaKeyPairId: proto.String("kp-id")}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Opening the store again is what records the missing references.
	reopenAfter(t, e, s, "DELETE FROM object_refs WHERE to_kind = 'key_pair'", "UPDATE console_meta SET refs_version = 0")
	raw, err := sql.Open("sqlite", e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var from string
	if err := raw.QueryRowContext(ctx, "SELECT from_id FROM object_refs WHERE to_kind = 'key_pair' AND to_id = 'kp-id'").Scan(&from); err != nil || from != r.ID {
		t.Fatalf("reference after reopening: %q, %v", from, err)
	}
}

// TestConcurrentOpensOfANewFile opens one new database file from several
// goroutines at once, as two processes starting together on a fresh data
// directory do: every open succeeds, and the schema is migrated once.
func TestConcurrentOpensOfANewFile(t *testing.T) {
	t.Parallel()
	for round := range 10 {
		path := filepath.Join(t.TempDir(), "console.db")
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, 32), Logger: logr.Discard()})
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

// TestIndexReadsOnlyTheIndex: the index a resync reads comes from the
// covering index alone, not from every row with its data; its sums from
// the counts the triggers keep; the objects written since a version, from
// the index on version.
func TestIndexReadsOnlyTheIndex(t *testing.T) {
	t.Parallel()
	if plan := queryPlan(t, sqldb.IndexQuery); len(plan) != 1 || plan[0] != "SCAN objects USING COVERING INDEX objects_index" {
		t.Errorf("query plan of the index: %q, want one scan of the covering index objects_index", plan)
	}
	if plan := queryPlan(t, sqldb.IndexSumsQuery); len(plan) != 1 || plan[0] != "SCAN object_counts" {
		t.Errorf("query plan of the index sums: %q, want one scan of object_counts, without a sort", plan)
	}
	if plan := queryPlan(t, strings.NewReplacer("$1", "0", "$2", "1001").Replace(sqldb.WrittenQuery)); len(plan) != 1 || plan[0] != "SEARCH objects USING INDEX objects_version (version>?)" {
		t.Errorf("query plan of the objects written since a version: %q, want one search of the index objects_version", plan)
	}
}

// TestListPagesReadAnIndex: a page of one kind in every namespace or
// in one, in name, creation or modification order either way (what List
// asks for its page's ids), is read from a covering index instead of
// sorting every object of the scope.
func TestListPagesReadAnIndex(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ order, scope, index string }{
		{"name", "", "objects_list_everywhere (kind=?)"},
		{"created_at", "", "objects_list_everywhere_by_created (kind=?)"},
		{"modified_at", "", "objects_list_everywhere_by_modified (kind=?)"},
		{"created_at", " AND namespace_id = 'ns'", "objects_list_by_created (kind=? AND namespace_id=?)"},
		{"modified_at", " AND namespace_id = 'ns'", "objects_list_by_modified (kind=? AND namespace_id=?)"},
	} {
		for _, dir := range []string{"ASC", "DESC"} {
			query := "SELECT kind, id FROM objects WHERE kind = 'route' AND NOT deleted" + c.scope + " ORDER BY " + c.order + " " + dir + ", id " + dir + " LIMIT 50 OFFSET 5000"
			if plan := queryPlan(t, query); len(plan) != 1 || plan[0] != "SEARCH objects USING COVERING INDEX "+c.index {
				t.Errorf("query plan of a page by %s %s%s: %q, want one search of the covering index %s", c.order, dir, c.scope, plan, c.index)
			}
		}
	}
}

// TestVersionPagesWalkTheVersionIndex: a page in version order that
// walks the version index (see sqldb's walkVersions) reads that index in
// the page's order, up to the version that ends the walk when there is
// one, and sorts nothing.
func TestVersionPagesWalkTheVersionIndex(t *testing.T) {
	t.Parallel()
	below := "WITH RECURSIVE sub(id) AS (SELECT CAST('ns' AS TEXT) UNION SELECT o.id FROM objects o JOIN sub ON o.namespace_id = sub.id WHERE o.kind = 'namespace' AND NOT o.deleted) "
	for _, c := range []struct{ with, scope, bound, read string }{
		{"", "", "", "SCAN objects USING INDEX objects_version"},
		{"", "", " AND version >= 7", "SEARCH objects USING INDEX objects_version (version>?)"},
		{"", "", " AND version <= 7", "SEARCH objects USING INDEX objects_version (version<?)"},
		{"", " AND namespace_id = 'ns'", " AND version >= 7", "SEARCH objects USING INDEX objects_version (version>?)"},
		{below, " AND namespace_id IN (SELECT id FROM sub)", " AND version >= 7", "SEARCH objects USING INDEX objects_version (version>?)"},
	} {
		for _, dir := range []string{"ASC", "DESC"} {
			query := c.with + "SELECT kind, id FROM " + sqlite.VersionWalk + " WHERE kind = 'route' AND NOT deleted" + c.scope + c.bound + " ORDER BY version " + dir + ", id " + dir + " LIMIT 50 OFFSET 10"
			if plan := queryPlan(t, query); len(plan) == 0 || plan[0] != c.read || slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "TEMP B-TREE") }) {
				t.Errorf("query plan of a page by version %s%s%s: %q, want %q first and nothing sorted", dir, c.scope, c.bound, plan, c.read)
			}
		}
	}
}

// TestVersionPagesWalkWhereCheap: List reads a page in version order
// through the version index at either end of a scope that holds most of
// the store's objects, and sorts the scope's entries elsewhere: with the
// index dropped, the pages it walks for fail and the others do not.
func TestVersionPagesWalkWhereCheap(t *testing.T) {
	t.Parallel()
	e, s := openFresh(t)
	ctx, actor := t.Context(), store.Actor{Subject: "test", Origin: store.OriginAPI}
	few, err := store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "few"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ops []store.Op
	for i := range 1000 {
		ns := store.GlobalNamespaceID
		if i%100 == 0 {
			ns = few.ID
		}
		ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: fmt.Sprintf("r-%d", i)},
			Spec: &configpb.Route{From: fmt.Sprintf("https://r%d.example.com", i), To: []string{"https://up.internal"}}}})
	}
	if _, err := s.Apply(ctx, actor, ops...); err != nil {
		t.Fatal(err)
	}
	s = reopenAfter(t, e, s, "DROP INDEX objects_version")
	for _, c := range []struct {
		q     store.ListQuery
		walks bool
	}{
		{store.ListQuery{OrderBy: "-version", Limit: 50}, true},
		{store.ListQuery{OrderBy: "version", Limit: 50}, true},
		{store.ListQuery{OrderBy: "-version", Limit: 50, Offset: 950}, true},
		{store.ListQuery{OrderBy: "version", Limit: 50, Offset: 200}, true},
		{store.ListQuery{OrderBy: "version", Limit: 50, Offset: 250}, false},
		{store.ListQuery{OrderBy: "version", Limit: 50, Offset: 500}, false},
		{store.ListQuery{OrderBy: "-version", Limit: 50, NamespaceID: store.GlobalNamespaceID, Recursive: true}, true},
		{store.ListQuery{OrderBy: "-version", Limit: 50, NamespaceID: store.GlobalNamespaceID}, true},
		{store.ListQuery{OrderBy: "-version", Limit: 5, NamespaceID: few.ID}, false},
		{store.ListQuery{OrderBy: "-version", Limit: 50, Query: "r1"}, false},
		{store.ListQuery{OrderBy: "name", Limit: 50}, false},
	} {
		res, err := s.List(ctx, store.KindRoute, c.q)
		switch {
		case c.walks && (err == nil || !strings.Contains(err.Error(), "objects_version")):
			t.Errorf("list %+v without the version index: %v, want the walk of that index to fail", c.q, err)
		case !c.walks && err != nil:
			t.Errorf("list %+v without the version index: %v, want it read without that index", c.q, err)
		case !c.walks && len(res.Objects) != min(c.q.Limit, res.TotalCount-c.q.Offset):
			t.Errorf("list %+v: %d of %d routes", c.q, len(res.Objects), res.TotalCount)
		}
	}
}

// TestEmptyNow: the store tries to empty a log past its limit once a
// checkpoint copied all of it, and past four times its limit in any case.
func TestEmptyNow(t *testing.T) {
	t.Parallel()
	const limit = 256 << 20
	for _, c := range []struct {
		size   int64
		copied bool
		want   bool
	}{
		{limit, true, false},
		{limit + 1, true, true},
		{limit + 1, false, false},
		{4 * limit, false, false},
		{4*limit + 1, false, true},
		{4*limit + 1, true, true},
	} {
		if got := sqlite.EmptyNow(c.size, c.copied, limit); got != c.want {
			t.Errorf("a log of %d bytes (copied whole: %v) against a limit of %d: emptied %v, want %v", c.size, c.copied, limit, got, c.want)
		}
	}
}

// queryPlan is SQLite's plan for query on a newly migrated store.
func queryPlan(t *testing.T, query string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.db")
	if _, err := (&env{path: path}).Open(t, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestCheckpointsOffTheWritersPath: no commit copies the write-ahead log
// into the database file, with the write lock held, however large the log
// grew; the store does it every CheckpointInterval, beside the writers.
func TestCheckpointsOffTheWritersPath(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, s store.Store, n int) {
		actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
		for i := range n {
			p := &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("p-%d", i)},
				Description: strings.Repeat("d", 8<<10), PPL: "allow:\n  or:\n    - authenticated_user: 1\n"}
			if _, err := store.Put(t.Context(), s, actor, p, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	size := func(t *testing.T, path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	open := func(t *testing.T, every time.Duration) (store.Store, string) {
		path := filepath.Join(t.TempDir(), "console.db")
		s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, 32), Logger: testr.New(t), CheckpointInterval: every})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s, path
	}
	t.Run("commits", func(t *testing.T) {
		t.Parallel()
		s, path := open(t, time.Hour)
		before := size(t, path)
		// Over 1,500 pages of log: past SQLite's default mark of 1,000,
		// at which a commit would checkpoint. (A mark set higher than
		// what this writes would pass unnoticed.)
		write(t, s, 600)
		if after := size(t, path); after != before {
			t.Errorf("database file %d bytes before the writes, %d after: a commit checkpointed", before, after)
		}
		if wal := size(t, path+"-wal"); wal < 1500*4096 {
			t.Errorf("write-ahead log %d bytes after the writes: too small to tell", wal)
		}
	})
	t.Run("store", func(t *testing.T) {
		t.Parallel()
		s, path := open(t, 20*time.Millisecond)
		before := size(t, path)
		write(t, s, 100)
		wait.For(t, "the database file holding the writes", 10*time.Second, func() bool { return size(t, path) > before+100*8<<10 })
	})
	// A log past its limit is emptied, once no reader holds it. (A reader
	// of an earlier snapshot keeps every later write in the log, as
	// writes that never pause do; then the log only ever grew, and its
	// file kept its size.)
	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		const limit = 256 << 10
		path := filepath.Join(t.TempDir(), "console.db")
		s, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, 32), Logger: testr.New(t),
			CheckpointInterval: 10 * time.Millisecond, LogLimit: limit})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		reader, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = reader.Close() })
		tx, err := reader.BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRowContext(t.Context(), "SELECT count(*) FROM objects").Scan(&n); err != nil {
			t.Fatal(err)
		}
		write(t, s, 60)
		if wal := size(t, path+"-wal"); wal < 2*limit {
			t.Fatalf("write-ahead log %d bytes while a reader held it: too small to tell", wal)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		wait.For(t, "the write-ahead log emptied", 10*time.Second, func() bool { return size(t, path+"-wal") < limit })
		// The writers wait for locks as long as before, and every write
		// is there, a store opened again included.
		if ms, err := sqlite.WriteBusyTimeout(t.Context(), s); err != nil || ms != 10_000 {
			t.Errorf("the writing connection's busy_timeout after the log was emptied: %d ms, %v; want 10000", ms, err)
		}
		after := &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "after"}, PPL: "allow:\n  or:\n    - authenticated_user: 1\n"}
		if _, err := store.Put(t.Context(), s, store.Actor{Subject: "test", Origin: store.OriginAPI}, after, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := sqlite.Open(t.Context(), sqlite.Options{Path: path, EncryptionKey: make([]byte, 32), Logger: testr.New(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = again.Close() })
		st, err := again.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Policies) != 61 {
			t.Errorf("%d policies after the log was emptied and the store opened again; want 61", len(st.Policies))
		}
	})
}

// TestStatusesKeptInKeyOrder opens a store whose statuses are in the table
// with row numbers that migrations before 19 made: migrating moves them
// into the table kept in key order, every status as it was.
func TestStatusesKeptInKeyOrder(t *testing.T) {
	t.Parallel()
	e, s := openFresh(t)
	ctx := t.Context()
	at := time.UnixMicro(time.Now().UnixMicro()).UTC()
	want := []store.ObjectStatus{
		{Kind: store.KindRoute, ID: "r2", State: store.SyncSynced, ObjectVersion: 4, RecordVersion: 9, UpdatedAt: at},
		{Kind: store.KindRoute, ID: "r1", State: store.SyncError, ObjectVersion: 3, Reason: "bad", Field: "from", UpdatedAt: at},
	}
	if err := s.SetStatus(ctx, want); err != nil {
		t.Fatal(err)
	}
	s = reopenAfter(t, e, s, `CREATE TABLE object_status_by_row (
    kind text NOT NULL, id text NOT NULL, state text NOT NULL, object_version bigint NOT NULL, record_version bigint NOT NULL,
    reason text NOT NULL, field text NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (kind, id))`,
		"INSERT INTO object_status_by_row SELECT * FROM object_status",
		"DROP TABLE object_status",
		"ALTER TABLE object_status_by_row RENAME TO object_status",
		"DELETE FROM "+sqldb.SchemaTable+" WHERE version_id = 19")
	check := func(when string) {
		t.Helper()
		got, err := s.Status(ctx, store.KindRoute)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if got[w.ID] != w {
				t.Errorf("status of %s %s:\n got %+v\nwant %+v", w.ID, when, got[w.ID], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d statuses %s, want %d", len(got), when, len(want))
		}
		raw, err := sql.Open("sqlite", e.path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var ddl string
		if err := raw.QueryRowContext(ctx, "SELECT sql FROM sqlite_schema WHERE name = 'object_status'").Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(ddl, "WITHOUT ROWID") {
			t.Errorf("object_status %s: %s", when, ddl)
		}
	}
	check("after migrating")
	// Applied again, to a file whose record of its migrations was rolled
	// back, it copies the rows again, whatever a run before left of the
	// table it copies into.
	s = reopenAfter(t, e, s, "DELETE FROM "+sqldb.SchemaTable+" WHERE version_id = 19",
		"CREATE TABLE object_status_by_key (kind text, id text)", "INSERT INTO object_status_by_key VALUES ('route', 'left over')")
	check("after migrating again")
}

// openFresh opens a store on a new file.
func openFresh(t *testing.T) (*env, store.Store) {
	t.Helper()
	e := &env{path: filepath.Join(t.TempDir(), "console.db")}
	s, err := e.Open(t, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

// reopenAfter closes s, runs queries on its file, and opens it again.
func reopenAfter(t *testing.T, e *env, s store.Store, queries ...string) store.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		storetest.ExecFile(t, e.path, q)
	}
	s, err := e.Open(t, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

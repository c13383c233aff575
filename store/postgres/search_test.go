package postgres_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/logr/testr"
	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

// A search of a list reads the trigram index the migrations make, in the
// form List writes it (LIKE with an escape), instead of every object of
// its scope.
func TestSearchReadsTheTrigramIndex(t *testing.T) {
	url := srv.NewTestDatabase(t)
	s, err := postgres.Open(t.Context(), postgres.Options{URL: url, EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	// A few rows written straight into the table: the test reads a plan,
	// not what the rows hold.
	if _, err := conn.Exec(t.Context(), `INSERT INTO objects
		(kind, id, namespace_id, name, unique_key, search, origin, origin_ref, version, created_at, modified_at, deleted, data)
		SELECT 'route', 'r' || i, $1, 'seed-' || lpad(i::text, 6, '0'), 'seed-' || i, 'seed-' || lpad(i::text, 6, '0'), 'api', '', 100 + i, 0, 0, false, ''
		FROM generate_series(1, 200) i`, store.GlobalNamespaceID); err != nil {
		t.Fatal(err)
	}
	// Which index the planner picks for a scope's search depends on the
	// sizes of things (BenchmarkPages measures a million routes); what
	// this test shows is that the trigram index serves the search as List
	// writes it, once no other index (the primary key included) or a
	// sequential scan may.
	if _, err := conn.Exec(t.Context(), `DO $$ DECLARE i record; BEGIN
		FOR i IN SELECT indexname FROM pg_indexes WHERE tablename = 'objects' AND indexname NOT IN ('objects_search', 'objects_pkey') LOOP
			EXECUTE 'DROP INDEX ' || quote_ident(i.indexname);
		END LOOP; END $$; ALTER TABLE objects DROP CONSTRAINT objects_pkey CASCADE; ANALYZE objects; SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(t.Context(), `EXPLAIN SELECT id FROM objects
		WHERE kind = $1 AND NOT deleted AND namespace_id = $2 AND search LIKE $3 ESCAPE '\'`,
		"route", store.GlobalNamespaceID, "%seed-000150%")
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "objects_search") {
		t.Errorf("the search does not read objects_search:\n%s", strings.Join(plan, "\n"))
	}
}

// Where pg_trgm may not be created (here: a role without the right to
// create in its database), the migrations go on without the search index,
// and the store says so when it opens.
func TestSearchIndexLeftOutWhereTheExtensionMayNotBeCreated(t *testing.T) {
	dbURL := srv.NewTestDatabase(t)
	admin, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(t.Context())
	role := "r_" + strings.ToLower(rand.Text()[:12])
	password := rand.Text()
	ident := pgx.Identifier{role}.Sanitize()
	if _, err := admin.Exec(t.Context(), "CREATE ROLE "+ident+" LOGIN PASSWORD '"+password+"'; GRANT CREATE ON SCHEMA public TO "+ident); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP OWNED BY "+ident+"; DROP ROLE "+ident); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	var logged []string
	var mu sync.Mutex
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, args)
	}, funcr.Options{})
	s, err := postgres.Open(t.Context(), postgres.Options{URL: u.String(), EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: log})
	if err != nil {
		t.Fatalf("open as a role that may not create extensions: %v", err)
	}
	defer s.Close()
	var indexed bool
	if err := admin.QueryRow(t.Context(), "SELECT to_regclass('objects_search') IS NOT NULL").Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed {
		t.Fatalf("objects_search exists: the role could create pg_trgm after all, and the test shows nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(logged, func(l string) bool { return strings.Contains(l, "searches read every object") }) {
		t.Errorf("opening said nothing of the missing search index: %q", logged)
	}
}

package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusal feeds refusal the errors SQLite itself gives for a database
// that is full (a page limit stands for the disk) and for one opened
// read-only, and an error of another kind.
func TestRefusal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "refusal.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() }) // nothing left to fail at the end of a test
	db.SetMaxOpenConns(1)
	for _, q := range []string{"CREATE TABLE t (v TEXT)", "PRAGMA max_page_count = 3"} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, full := db.ExecContext(t.Context(), "INSERT INTO t VALUES (?)", strings.Repeat("x", 64<<10))
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ro.Close() }) // nothing left to fail at the end of a test
	_, readOnly := ro.ExecContext(t.Context(), "INSERT INTO t VALUES ('y')")
	_, other := db.ExecContext(t.Context(), "INSERT INTO missing VALUES (1)")
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"full", full, "disk is full"},
		{"read-only", readOnly, "read-only"},
		{"no such table", other, ""},
	} {
		if c.err == nil {
			t.Fatalf("%s: the statement succeeded", c.name)
		}
		got := refusal(c.err)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s (%v): refusal says %q, want it to name %q", c.name, c.err, got, c.want)
		}
	}
}

package sqldb

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	_ "modernc.org/sqlite"
)

// TestTxStatements: statements run prepared give what they give unprepared,
// a repeated statement is prepared once, and past the bound statements run
// unprepared.
func TestTxStatements(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/stmts.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			t.Error(err)
		}
	})
	w := newTxStatements(tx, true)
	for i := range 3 * maxCachedStatements {
		if _, err := w.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?1, ?2)", i, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		// A statement of its own for each i: the cache fills up.
		var v string
		if err := w.QueryRowContext(ctx, fmt.Sprintf("SELECT v FROM t WHERE k = %d", i)).Scan(&v); err != nil || v != fmt.Sprint(i) {
			t.Fatalf("row %d: %q, %v", i, v, err)
		}
	}
	rows, err := w.QueryContext(ctx, "SELECT count(*) FROM t")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil || n != 3*maxCachedStatements {
		t.Fatalf("%d rows (%v), want %d", n, err, 3*maxCachedStatements)
	}
	if len(w.stmts) != maxCachedStatements {
		t.Errorf("%d statements prepared, want the bound, %d", len(w.stmts), maxCachedStatements)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

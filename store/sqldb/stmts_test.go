package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	w := newTxStatements(tx, true, nil)
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

// TestGroupsCombineUnderTheParameterLimit: with WritableCTE, statements are
// combined in order, as many as fit under the parameter limit and none after
// a SELECT (in a WITH it would not run); without, each goes alone; and a
// combined statement numbers its parameters through.
func TestGroupsCombineUnderTheParameterLimit(t *testing.T) {
	t.Parallel()
	stmt := func(name string, n int) Statement {
		return func(arg func(any) string) string {
			var b strings.Builder
			b.WriteString(name)
			for i := range n {
				b.WriteString(" " + arg(i))
			}
			return b.String()
		}
	}
	stmts := []Statement{stmt("a", 30_000), stmt("b", 29_000), stmt("c", 2_000), stmt("d", 1), stmt("e", 0), stmt("SELECT f", 1), stmt("g", 1)}
	names := func(groups [][]Statement) [][]string {
		var out [][]string
		for _, g := range groups {
			var ns []string
			for _, s := range g {
				ns = append(ns, s(func(any) string { return "" })[:1])
			}
			out = append(out, ns)
		}
		return out
	}
	cte := &Dialect{Numbered: true, WritableCTE: true}
	if got, want := fmt.Sprint(names(cte.groups(stmts))), "[[a b] [c d e S] [g]]"; got != want {
		t.Errorf("groups with WritableCTE: %s, want %s", got, want)
	}
	plain := &Dialect{}
	if got, want := fmt.Sprint(names(plain.groups(stmts))), "[[a] [b] [c] [d] [e] [S] [g]]"; got != want {
		t.Errorf("groups without: %s, want %s", got, want)
	}

	var ran []string
	var ranArgs [][]any
	ex := execFunc(func(query string, args ...any) {
		ran, ranArgs = append(ran, query), append(ranArgs, args)
	})
	if err := cte.runAll(t.Context(), ex, []Statement{stmt("UPDATE x", 2), stmt("UPDATE y", 1), stmt("SELECT z", 1)}); err != nil {
		t.Fatal(err)
	}
	if want := "WITH s0 AS (UPDATE x $1 $2), s1 AS (UPDATE y $3) SELECT z $4"; len(ran) != 1 || ran[0] != want || len(ranArgs[0]) != 4 {
		t.Errorf("ran %q with %v, want %q with 4 arguments", ran, ranArgs, want)
	}
	ran = nil
	if err := plain.runAll(t.Context(), ex, []Statement{stmt("UPDATE x", 2), stmt("SELECT z", 1)}); err != nil {
		t.Fatal(err)
	}
	if want := "[UPDATE x ? ? SELECT z ?]"; fmt.Sprint(ran) != want {
		t.Errorf("ran %q, want %s", ran, want)
	}
}

type execFunc func(query string, args ...any)

func (f execFunc) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	f(query, args...)
	return nil, nil
}

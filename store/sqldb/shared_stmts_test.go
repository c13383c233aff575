package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// countingDriver is SQLite's driver, counting the statements its
// connections prepare.
type countingDriver struct {
	driver.Driver
	prepared atomic.Int64
}

type countingConn struct {
	driver.Conn
	d *countingDriver
}

func (c countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.d.prepared.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (d *countingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, d: d}, nil
}

// countingDrivers numbers the drivers registered, each under a name of its
// own.
var countingDrivers atomic.Int64

// countingPool opens a database of its own with conns connections, its
// driver counting the statements prepared.
func countingPool(t *testing.T, conns int) (*sql.DB, *countingDriver) {
	t.Helper()
	plain, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	d := &countingDriver{Driver: plain.Driver()}
	if err := plain.Close(); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("sqlite-counting-%d", countingDrivers.Add(1))
	sql.Register(name, d)
	db, err := sql.Open(name, "file:"+t.TempDir()+"/shared.db?_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(conns)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	return db, d
}

// inTx runs fn in a transaction of db whose statements are prepared,
// shared's taken as they are, and commits it.
func inTx(t *testing.T, db *sql.DB, shared *sharedStatements, fn func(w *txStatements)) {
	t.Helper()
	shared.prepare(t.Context())
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fn(newTxStatements(tx, true, shared))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func exec(t *testing.T, w *txStatements, query string, args ...any) {
	t.Helper()
	if _, err := w.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestSharedStatementsPreparedOnce: on a pool of one connection, as
// SQLite's writer is, a statement a write transaction ran is prepared
// before the next begins, and transactions after it run it without
// preparing it again; they give what they gave.
func TestSharedStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	db, d := countingPool(t, 1)
	shared := newSharedStatements(db)
	const insert, update = "INSERT INTO t (k, v) VALUES (?1, ?2)", "UPDATE t SET v = v || ?2 WHERE k = ?1"
	inTx(t, db, shared, func(w *txStatements) {
		exec(t, w, insert, 1, "a")
		exec(t, w, update, 1, "b")
	})
	before := d.prepared.Load()
	// The first transaction prepared both in itself: the next prepares
	// them on the pool, once.
	inTx(t, db, shared, func(w *txStatements) {
		exec(t, w, insert, 2, "c")
		exec(t, w, update, 1, "d")
	})
	if n := d.prepared.Load() - before; n != 2 {
		t.Errorf("%d statements prepared by the second transaction, want 2 (each on the pool)", n)
	}
	before = d.prepared.Load()
	for i := range 10 {
		inTx(t, db, shared, func(w *txStatements) {
			exec(t, w, insert, 10+i, "e")
			exec(t, w, update, 10+i, "f")
			exec(t, w, update, 10+i, "g")
		})
	}
	if n := d.prepared.Load() - before; n != 0 {
		t.Errorf("%d statements prepared by ten more transactions, want none", n)
	}
	var rows []string
	r, err := db.QueryContext(t.Context(), "SELECT k || '=' || v FROM t ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, s)
	}
	if err := errors.Join(r.Err(), r.Close()); err != nil {
		t.Fatal(err)
	}
	want := "1=abd 2=c 10=efg 11=efg 12=efg 13=efg 14=efg 15=efg 16=efg 17=efg 18=efg 19=efg"
	if got := strings.Join(rows, " "); got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}

// TestSharedStatementsBound: past the bound, the statement run least
// recently is closed, and a transaction that runs it meanwhile still runs
// it; a statement that does not prepare is not tried again, and running it
// says why.
func TestSharedStatementsBound(t *testing.T) {
	t.Parallel()
	// Two connections: the pool prepares while a transaction holds one.
	db, d := countingPool(t, 2)
	shared := newSharedStatements(db)
	text := func(i int) string { return fmt.Sprintf("INSERT INTO t (k, v) VALUES (?1, '%d')", i) }
	inTx(t, db, shared, func(w *txStatements) { exec(t, w, text(0), 0) })
	shared.prepare(t.Context())
	ctx := t.Context()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newTxStatements(tx, true, shared)
	exec(t, w, text(0), 1) // the shared statement, in this transaction
	// maxSharedStatements others push it out and close it.
	for i := 1; i <= maxSharedStatements; i++ {
		if shared.get(text(i)) != nil {
			t.Fatalf("statement %d prepared before it ran", i)
		}
	}
	shared.prepare(ctx)
	if shared.lru.Len() != maxSharedStatements || shared.byText[text(0)] != nil || shared.byText[text(maxSharedStatements)] == nil {
		t.Fatalf("%d statements kept, the first kept %t, the last %t; want %d, the first dropped",
			shared.lru.Len(), shared.byText[text(0)] != nil, shared.byText[text(maxSharedStatements)] != nil, maxSharedStatements)
	}
	exec(t, w, text(0), 2) // closed on the pool, still this transaction's
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE v = '0'").Scan(&n); err != nil || n != 3 {
		t.Errorf("%d rows of the dropped statement (%v), want 3", n, err)
	}

	const bad = "INSERT INTO missing (k) VALUES (?1)"
	// Each transaction prepares it, fails, and runs it unprepared (which
	// the driver prepares too); the pool tries once, after the first.
	for round, want := range []int64{3, 2} {
		before := d.prepared.Load()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := newTxStatements(tx, true, shared)
		if _, err := w.ExecContext(ctx, bad, 1); err == nil || !strings.Contains(err.Error(), "no such table: missing") {
			t.Errorf("running a statement of no table: %v, want the reason", err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		shared.prepare(ctx)
		if n := d.prepared.Load() - before; n != want {
			t.Errorf("round %d: %d prepares of a statement that does not prepare, want %d", round, n, want)
		}
	}
	if _, refused := shared.refused[bad]; !refused {
		t.Error("a statement that did not prepare is not set aside")
	}
}

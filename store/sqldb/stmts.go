package sqldb

import (
	"context"
	"database/sql"
)

// maxCachedStatements bounds the statements a write transaction keeps
// prepared: the writer's own statements are a few dozen; statements built
// for one call (a list of ids in the text) run unprepared past it.
const maxCachedStatements = 64

// txStatements is a write transaction that, with Dialect.PrepareWrites,
// prepares each statement once and runs it again prepared. An import writes
// a million objects in one transaction, five statements each, and parsing
// the SQL every time cost SQLite a sixth of the import's time. The
// statements close with the transaction.
type txStatements struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newTxStatements(tx *sql.Tx, prepare bool) *txStatements {
	t := &txStatements{tx: tx}
	if prepare {
		t.stmts = make(map[string]*sql.Stmt)
	}
	return t
}

// stmt is the prepared statement of query, or nil when it is not to be
// prepared (or fails to prepare: running it unprepared reports why).
func (t *txStatements) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.stmts == nil {
		return nil
	}
	if s, ok := t.stmts[query]; ok {
		return s
	}
	if len(t.stmts) >= maxCachedStatements {
		return nil
	}
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	t.stmts[query] = s
	return s
}

func (t *txStatements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txStatements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txStatements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

package sqlite

import (
	"context"
	"database/sql"
	"testing"
)

// Exported for tests.
var (
	AfterReseal = afterReseal
	EmptyNow    = emptyNow
	SearchIndex = searchIndex
	IDsFirst    = dialect.IDsFirst
	VersionWalk = dialect.VersionWalk
)

// Narrowing sets how searches weigh their texts (see narrowing) until the
// test ends: a sample of sample matches, texts of fewer than from
// estimated index entries read whole, a row's comparison costing compare
// entries. A test that calls it must not run in parallel.
func Narrowing(t testing.TB, sample int, from, compare float64) {
	before := narrowed
	narrowed = narrowing{sample: sample, from: from, compare: compare, trigrams: before.trigrams}
	t.Cleanup(func() { narrowed = before })
}

// Narrow is the part of text a search looks up in the index, in a read
// transaction of db; ok is false when it looks up the whole text.
func Narrow(ctx context.Context, db *sql.DB, text string) (phrase string, ok bool, err error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", false, err
	}
	defer func() { _ = tx.Rollback() }()
	return narrowed.narrow(ctx, tx, text)
}

// WriteBusyTimeout is the busy_timeout, in milliseconds, of s's writing
// connection.
func WriteBusyTimeout(ctx context.Context, s *Store) (ms int, err error) {
	err = s.write.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms)
	return ms, err
}

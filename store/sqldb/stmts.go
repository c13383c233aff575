package sqldb

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
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
	// shared are the statements prepared for every write transaction, or
	// nil.
	shared *sharedStatements
}

// newTxStatements returns tx that prepares its statements, taking those
// of shared (when not nil) as they are, if prepare.
func newTxStatements(tx *sql.Tx, prepare bool, shared *sharedStatements) *txStatements {
	t := &txStatements{tx: tx}
	if prepare {
		t.stmts = make(map[string]*sql.Stmt)
		t.shared = shared
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
	var s *sql.Stmt
	if shared := t.shared.get(query); shared != nil {
		// Prepared on the write pool's connection already, which the
		// transaction holds: nothing to parse.
		s = t.tx.StmtContext(ctx, shared)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(ctx, query); err != nil {
			return nil
		}
	}
	t.stmts[query] = s
	return s
}

// maxSharedStatements bounds the statements kept prepared for every write
// transaction (sharedStatements), the least recently run dropped first.
const maxSharedStatements = 128

// sharedStatements are statements prepared on a write pool for every write
// transaction to run, where each would otherwise parse its statements
// again: an edit's write runs about ten, each parsed in a transaction of its
// own, which took about 0.4 ms of the edit's CPU on SQLite. A statement run
// in a transaction is prepared on the pool before the next transaction
// begins (prepare): a pool of one connection (SQLite's writer) cannot
// prepare while a transaction holds it.
type sharedStatements struct {
	pool *sql.DB
	mu   sync.Mutex
	// byText holds the elements of lru, the most recently run first, each
	// a *sharedStatement.
	byText map[string]*list.Element
	lru    list.List
	// wanted are the statements run since the last prepare that are not
	// prepared yet; refused, those that did not prepare.
	wanted, refused map[string]struct{}
}

type sharedStatement struct {
	text string
	stmt *sql.Stmt
}

func newSharedStatements(pool *sql.DB) *sharedStatements {
	return &sharedStatements{pool: pool, byText: map[string]*list.Element{},
		wanted: map[string]struct{}{}, refused: map[string]struct{}{}}
}

// get returns the statement of text prepared on the pool, or nil, noting
// it to be prepared before the next transaction. A nil s has none.
func (s *sharedStatements) get(text string) *sql.Stmt {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byText[text]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*sharedStatement).stmt
	}
	if _, no := s.refused[text]; !no && len(s.wanted) < maxSharedStatements {
		s.wanted[text] = struct{}{}
	}
	return nil
}

// prepare prepares the statements wanted since the last call on the pool,
// and closes those it drops past the bound. It must not be called in a
// transaction of the pool. A statement that does not prepare is not tried
// again: running it in a transaction says why.
func (s *sharedStatements) prepare(ctx context.Context) {
	if s == nil {
		return
	}
	s.mu.Lock()
	wanted := s.wanted
	if len(wanted) > 0 {
		s.wanted = map[string]struct{}{}
	}
	s.mu.Unlock()
	var closing []*sql.Stmt
	for text := range wanted {
		stmt, err := s.pool.PrepareContext(ctx, text)
		s.mu.Lock()
		switch {
		case err != nil:
			if ctx.Err() == nil && len(s.refused) < maxSharedStatements {
				s.refused[text] = struct{}{}
			}
		case s.byText[text] != nil:
			closing = append(closing, stmt) // prepared meanwhile by another writer
		default:
			s.byText[text] = s.lru.PushFront(&sharedStatement{text: text, stmt: stmt})
			for s.lru.Len() > maxSharedStatements {
				old := s.lru.Remove(s.lru.Back()).(*sharedStatement)
				delete(s.byText, old.text)
				closing = append(closing, old.stmt)
			}
		}
		s.mu.Unlock()
	}
	for _, stmt := range closing {
		// A transaction running it keeps it until the transaction ends;
		// closing reports nothing a writer could act on.
		_ = stmt.Close()
	}
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

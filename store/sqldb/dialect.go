package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// Dialect holds what differs between the SQL databases the engine runs on.
type Dialect struct {
	// Name names the database in errors and logs.
	Name string
	// Numbered says the driver takes $1-style placeholders; otherwise they
	// are rewritten to ?1, which SQLite reads as the same numbered parameter.
	Numbered bool
	// ForUpdate ends a SELECT that locks the rows it reads until commit
	// (" FOR UPDATE"), or is empty where the write lock is the database's
	// own (SQLite, whose write transactions begin holding it).
	ForUpdate string
	// NoLimit is the LIMIT value that means "all rows" (ALL, -1).
	NoLimit string
	// JSONTextArray is a subquery over the strings of a JSON array given as
	// the parameter %s: a list of ids of any length is one parameter, never
	// one per id (PostgreSQL takes at most 65,535 parameters).
	JSONTextArray string
	// StatusRows, when set, is a subquery over the rows of object_status
	// in a JSON array given as the parameter %s, each row an array of its
	// columns in their order: a write of any number of statuses is then
	// one statement of one parameter, which PostgreSQL parses and plans
	// once (a change of 12,100 statuses took 129-150 ms against 175 ms as
	// statements of 500 rows of 8 parameters). Otherwise statuses are
	// written 500 rows to a statement: SQLite's JSON functions cost more
	// (158 ms against 118 ms, and 93-97 ms once the statement of 500 rows
	// was prepared once for all writes). Text that is not UTF-8 (which
	// PostgreSQL's text cannot hold) is encoded with U+FFFD in place of
	// its bad bytes.
	StatusRows string
	// AfterRestore, when set, runs at the end of a restore: the statement
	// that moves sequences past the ids the restore inserted.
	AfterRestore string
	// AfterReseal, when set, runs on the write pool outside any
	// transaction after secrets written in plain text were sealed in place:
	// it drops the plain forms the database's files still hold (SQLite
	// leaves an updated row's old bytes in the page's free space and in the
	// write-ahead log).
	AfterReseal func(ctx context.Context, db *sql.DB) error
	// PrepareWrites prepares each statement of a write transaction once,
	// for a driver that would parse it at every run (SQLite's; pgx keeps
	// its own cache of prepared statements per connection).
	PrepareWrites bool
	// ReadTx are the options of read transactions that must see one snapshot.
	ReadTx *sql.TxOptions
	// IsUniqueViolation reports whether err is a unique constraint violation.
	IsUniqueViolation func(error) bool
	// Reachability, when set, recognises the driver's errors that mean the
	// database could not be reached or went away (see [DB.unavailable]).
	Reachability Reachability
	// Refusal, when set, names what makes the database refuse writes
	// until its operator acts (a full disk, a read-only file) when err is
	// such a refusal, and returns "" otherwise. The database must have
	// made no part of the transaction such an error ended, even at its
	// commit.
	Refusal func(err error) (reason string)
	// Announce, when set, is a SELECT that tells other processes of a
	// commit, with the new version as text in the parameter %s; it runs
	// last in each write transaction that takes a version.
	Announce string
	// WritableCTE says the database runs data-modifying statements in the
	// WITH of another statement (PostgreSQL), so that several writes go in
	// one round trip.
	WritableCTE bool
	// IDsFirst, when set, are the tables a list of named objects reads
	// instead of objects alone: the ids first (the JSON array parameter %s,
	// each once), each object then looked up by its key. SQLite, whose
	// planner has no statistics here, would otherwise walk a list index of
	// the whole kind and test each entry against the ids: a million for a
	// page of 50 named routes.
	IDsFirst string
	// VersionWalk, when set, is objects read through the index of their
	// versions alone, walked in the order of a page in version order: a
	// page of a kind that holds most of the store's objects finds its
	// objects among the index's first entries, where the database's
	// planner, which has no statistics here, would sort every entry of
	// the kind (see walkVersions).
	VersionWalk string
	// SearchIndex, when set, returns how a list's search for text (in lower
	// case, as the search text is) reads an index of the database's own
	// that answers it, its one parameter written as param; ok is false
	// when that index cannot answer. List then compares text with the
	// search text of every object of the scope, as it does when the scope
	// holds fewer objects than the index names. A search counted up to a
	// bound in a scope holding most of the store's objects counts from
	// the index (searchLargeScope).
	SearchIndex func(text, param string) (s IndexedSearch, ok bool)
	// NotifyStatus, when set, returns the statements that end each status
	// write, with the objects whose status it changes, so that other
	// processes learn of them.
	NotifyStatus func(objects []store.ObjectKey) ([]Statement, error)
}

// IndexedSearch is a search read from an index of the database's own.
type IndexedSearch struct {
	// From are the tables read instead of objects alone, that index first;
	// Match is the condition that holds for the objects whose search text
	// holds the text, with the value of its parameter.
	From, Match string
	Value       any
	// Count is a statement that counts the index's matches, of any kind or
	// namespace, up to the number it takes for %d, with the value as $1.
	Count string
	// Narrow, when set, returns a value for Match and Count that the
	// index answers at less cost than Value: a part of the text, whose
	// matches are every object whose search text holds the text, and maybe
	// others, which List then compares with the text as well. ok is false
	// when Value is the cheaper.
	Narrow func(ctx context.Context, tx *sql.Tx) (value any, ok bool, err error)
}

func (d *Dialect) q(query string) string {
	if d.Numbered {
		return query
	}
	return strings.ReplaceAll(query, "$", "?")
}

// Statement builds one SQL statement; arg adds a parameter and returns its
// placeholder, to be written where the parameter goes.
type Statement func(arg func(v any) string) string

// maxCombinedParams bounds the parameters of the statements combined into
// one (PostgreSQL takes 65,535).
const maxCombinedParams = 60_000

// build writes s with its parameters appended to args: numbered
// placeholders where the driver takes them, anonymous ones otherwise (see
// placeholders).
func (d *Dialect) build(s Statement, args *params) string {
	if d.Numbered {
		return s(args.add)
	}
	return s(func(v any) string {
		*args = append(*args, v)
		return "?"
	})
}

// groups splits stmts into the statements to run: where the database takes
// data-modifying statements in a WITH (WritableCTE), as few as the
// parameter limit allows, each with all but its last in its WITH, and a
// SELECT only last; otherwise each on its own.
func (d *Dialect) groups(stmts []Statement) [][]Statement {
	var out [][]Statement
	if !d.WritableCTE {
		for _, s := range stmts {
			out = append(out, []Statement{s})
		}
		return out
	}
	n, closed := 0, true
	for _, s := range stmts {
		var p params
		text := d.build(s, &p)
		if closed || n+len(p) > maxCombinedParams {
			out = append(out, nil)
			n = 0
		}
		out[len(out)-1] = append(out[len(out)-1], s)
		n += len(p)
		// A SELECT in a WITH that nothing reads is not run: it ends its
		// statement.
		closed = strings.HasPrefix(text, "SELECT")
	}
	return out
}

// execer runs a statement: a transaction, or the database outside one.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// runAll runs stmts in order, in as few round trips as groups allows.
func (d *Dialect) runAll(ctx context.Context, ex execer, stmts []Statement) error {
	return d.runGroups(ctx, ex, d.groups(stmts))
}

// runGroups runs what groups returned, one statement per group.
func (d *Dialect) runGroups(ctx context.Context, ex execer, groups [][]Statement) error {
	for _, g := range groups {
		var args params
		var b strings.Builder
		for i, s := range g[:len(g)-1] {
			if i == 0 {
				b.WriteString("WITH ")
			} else {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "s%d AS (%s)", i, d.build(s, &args))
		}
		if len(g) > 1 {
			b.WriteString(" ")
		}
		b.WriteString(d.build(g[len(g)-1], &args))
		if _, err := ex.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

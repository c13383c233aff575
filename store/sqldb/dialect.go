package sqldb

import (
	"context"
	"database/sql"
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
	// LockVersion is the statement that starts every write transaction: it
	// reads the store version and holds the lock that serialises writers until
	// commit, so versions commit in order and a reader that saw version N
	// never later finds a commit numbered below N.
	LockVersion string
	// ForUpdate ends a SELECT that locks the rows it reads until commit
	// (" FOR UPDATE"), or is empty where the write lock is the database's
	// own (SQLite).
	ForUpdate string
	// NoLimit is the LIMIT value that means "all rows" (ALL, -1).
	NoLimit string
	// JSONTextArray is a subquery over the strings of a JSON array given as
	// the parameter %s: a list of ids of any length is one parameter, never
	// one per id (PostgreSQL takes at most 65,535 parameters).
	JSONTextArray string
	// AfterRestore, when set, runs at the end of a restore: the statement
	// that moves sequences past the ids the restore inserted.
	AfterRestore string
	// AfterReseal, when set, are statements run outside any transaction
	// after secrets written in plain text were sealed in place: they drop
	// the plain forms the database's files still hold (SQLite leaves an
	// updated row's old bytes in the page's free space and in the
	// write-ahead log).
	AfterReseal []string
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
	// Notify, when set, runs inside each write transaction with the new
	// version, so that other processes learn of the commit.
	Notify func(ctx context.Context, tx *sql.Tx, version int64) error
	// NotifyStatus, when set, runs inside each status write with the objects
	// whose status it changes, so that other processes learn of them.
	NotifyStatus func(ctx context.Context, tx *sql.Tx, objects []store.ObjectKey) error
}

func (d *Dialect) q(query string) string {
	if d.Numbered {
		return query
	}
	return strings.ReplaceAll(query, "$", "?")
}

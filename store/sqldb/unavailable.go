package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/pomerium-console/pomerium-console/store"
)

// Reachability is what a dialect knows of a driver error beyond what
// database/sql and the network say: whether it means the database could
// not be reached or went away (down), and, if so, whether the statement
// it was sending is known not to have reached the server (unsent).
type Reachability func(err error) (down, unsent bool)

// unavailable returns err as the store's CodeUnavailable when it says the
// database could not be reached or dropped the connection, and err itself
// otherwise. in says where err came from: a read (store.NoWrite), a write
// transaction before its commit (store.NotApplied: it was never committed,
// so nothing of it was written), or the commit (store.MaybeApplied: a
// commit the connection dropped under may have been made, unless the
// driver knows it was never sent).
//
// This is the one place where the engine decides what a lost database is;
// the dialects only recognise their drivers' errors.
func (db *DB) unavailable(err error, in store.Outcome) error {
	if err == nil || store.CodeOf(err) != "" {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if db.d.Refusal != nil {
		if reason := db.d.Refusal(err); reason != "" {
			db.log.Error(err, "the database refuses writes", "reason", reason)
			return store.Refused(reason, err)
		}
	}
	down, unsent := lostConnection(err)
	if db.d.Reachability != nil {
		if d, u := db.d.Reachability(err); d {
			// The driver knows more: whether the statement was sent.
			down, unsent = true, u || unsent
		}
	}
	if !down {
		return err
	}
	if in == store.MaybeApplied && unsent {
		in = store.NotApplied
	}
	db.log.Info("database unavailable", "error", err.Error(), "maybeApplied", in == store.MaybeApplied)
	return store.Unavailable(in, err)
}

// markUnavailable is unavailable for the deferred error of a method that
// reads, or writes what is not desired state (statuses, health, the
// console's own records), which a caller never needs to tell apart from a
// change that may have been applied.
func (db *DB) markUnavailable(err *error) { *err = db.unavailable(*err, store.NoWrite) }

// lostConnection recognises the errors of database/sql and of the network
// that any driver returns when its server is gone: a connection refused,
// reset or closed under it, a connection database/sql already knows is
// bad. A connection refused never carried a statement.
func lostConnection(err error) (down, unsent bool) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		// database/sql's and the drivers' contract: ErrBadConn is returned
		// before anything is sent on a connection found dead.
		return true, errors.Is(err, driver.ErrBadConn)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true, false
	}
	var ne net.Error
	// context.DeadlineExceeded passes for a net.Error, but the caller gave
	// up there, not the database: unavailable checks for it first.
	if errors.As(err, &ne) {
		return true, false
	}
	return false, false
}

// Package postgres is the PostgreSQL store, for consoles that run more than
// one replica or want the database managed elsewhere. It connects with pgx,
// applies the embedded numbered migrations under an advisory lock, runs the
// shared engine of store/sqldb, and turns LISTEN/NOTIFY into the change feed
// and the status feed (a channel each): a dropped listener connection is
// re-established and readers are told they may have missed changes.
//
// It must not hold state of its own beyond connections: every replica sees
// the same database.
package postgres

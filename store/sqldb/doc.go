// Package sqldb is the SQL engine behind both store backends: the rules of
// the store that need the rest of the data (namespaces exist, names are
// unique, no cycles, references resolve, expected versions match), the
// store-wide version sequence, the activity log and the queries. It speaks
// database/sql; a [Dialect] carries the few differences between PostgreSQL
// and SQLite.
//
// It must not open connections, run migrations or listen for notifications:
// the backends in store/postgres and store/sqlite do that and hand it their
// *sql.DB.
package sqldb

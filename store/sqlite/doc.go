// Package sqlite is the embedded store: one file, pure Go (modernc.org/sqlite,
// no cgo), used when no database_url is configured. It runs the same engine
// as the PostgreSQL backend; its change feed publishes this process's commits
// at once and notices commits of other processes on the same file by polling
// the store version. Its status feed works alike, polling a count of status
// writes that each store on the file keeps, so as to tell its own apart.
//
// It must not be shared over a network file system: SQLite's locking needs a
// local file.
package sqlite

package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultPollInterval is how often a store looks for commits made by other
// processes on the same file.
const DefaultPollInterval = 250 * time.Millisecond

// Options configure Open.
type Options struct {
	// Path is the database file; it is created if missing.
	Path string
	// EncryptionKey is the 32-byte database_encryption_key.
	EncryptionKey []byte
	Logger        logr.Logger
	// PollInterval overrides DefaultPollInterval.
	PollInterval time.Duration
	// CheckpointInterval is how often the store copies its write-ahead
	// log into the database file and merges its search index (see
	// searchMerger). Default 500 ms.
	CheckpointInterval time.Duration
	// LogLimit is the size of the write-ahead log, in bytes, past which
	// the store empties it between two writes (see checkpoint). Default
	// DefaultLogLimit.
	LogLimit int64
}

// busyTimeout is how long a statement waits for a lock that another
// connection holds.
const busyTimeout = 10 * time.Second

// DefaultLogLimit is the default Options.LogLimit.
const DefaultLogLimit = 256 << 20

// Store is the embedded store.
type Store struct {
	*sqldb.DB
	// writer names this store in status_writers.
	writer      string
	write, read *sql.DB
	stop        context.CancelFunc
	wg          sync.WaitGroup
	closeOnce   sync.Once
}

var _ store.Store = (*Store)(nil)

var dialect = sqldb.Dialect{
	Name:              "sqlite",
	NoLimit:           "-1",
	JSONTextArray:     "SELECT value FROM json_each(%s)",
	PrepareWrites:     true,
	IsUniqueViolation: isUniqueViolation,
	Reachability:      busy,
	SearchIndex:       searchIndex,
	IDsFirst:          "(SELECT DISTINCT value AS listed_id FROM json_each(%s)) listed CROSS JOIN objects ON objects.id = listed.listed_id",
	VersionWalk:       "objects INDEXED BY objects_version",
	Refusal:           refusal,
	AfterReseal:       afterReseal,
}

// refusal names SQLite's refusals to write that last until an operator
// acts: the disk (or the filesystem) is full, or the database file, its
// directory or its filesystem is read-only. SQLite rolls the transaction
// back on either, at its commit too (in WAL mode the commit frame is
// written last), so nothing was written.
func refusal(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return "the embedded store's disk is full: free space on the filesystem of data_dir"
	case sqlite3.SQLITE_READONLY:
		return "the embedded store is read-only: its database file, data_dir or their filesystem cannot be written"
	}
	return ""
}

// searchIndexStale, in the file's user_version, says the search index may
// file objects under row numbers they no longer have: a VACUUM ran and the
// index was not built again since (Open builds it then).
const searchIndexStale = 1

// afterReseal rebuilds the database file, which leaves no free space
// holding what was there before, and truncates the log, which drops the
// frames that held it. VACUUM may renumber the rows of objects, under whose
// numbers the search index files them: the index is built again in between,
// and the file says so until it is, should the process stop before.
func afterReseal(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", searchIndexStale)); err != nil {
		return fmt.Errorf("mark the search index to build again: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("VACUUM: %w", err)
	}
	if err := reindexSearch(ctx, db); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// reindexSearch builds the search index again from the live objects, in
// one transaction (a write in between would be indexed twice).
func reindexSearch(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index the search texts again: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	for _, stmt := range []string{
		"INSERT INTO objects_search (objects_search) VALUES ('delete-all')",
		"INSERT INTO objects_search (rowid, search) SELECT rowid, search FROM objects WHERE NOT deleted",
		"PRAGMA user_version = 0",
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("index the search texts again: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index the search texts again: %w", err)
	}
	return nil
}

// reindexIfStale builds the search index again when a VACUUM ran since it
// was last built (see afterReseal).
func reindexIfStale(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read user_version: %w", err)
	}
	if version != searchIndexStale {
		return nil
	}
	return reindexSearch(ctx, db)
}

// searchIndex finds the objects whose search text holds text in the
// trigram index objects_search (see its migration): a text of three
// characters or more has a trigram to look up. The text goes in as one
// FTS5 phrase, quoted, so that nothing in it is read as query syntax; a
// text with a character FTS5 reads otherwise than LIKE does (NUL ends its
// query; U+FFFE and U+FFFF it reads as U+FFFD, so a U+FFFD would match
// them) is compared row by row. A text whose trigrams most objects hold
// is looked up by a part of it (narrow). The index is the left table of a
// CROSS JOIN, which SQLite always reads first: it would otherwise walk the
// kind's or the namespace's list index and test every object in it
// against the matches.
func searchIndex(text, param string) (sqldb.IndexedSearch, bool) {
	if utf8.RuneCountInString(text) < 3 || strings.ContainsAny(text, "\x00\uFFFD\uFFFE\uFFFF") {
		return sqldb.IndexedSearch{}, false
	}
	return sqldb.IndexedSearch{
		From:  "objects_search CROSS JOIN objects ON objects.rowid = objects_search.rowid",
		Match: "objects_search MATCH " + param,
		Value: quotePhrase(text),
		Count: "SELECT count(*) FROM (SELECT 1 FROM objects_search WHERE objects_search MATCH $1 LIMIT %d)",
		Narrow: func(ctx context.Context, tx *sql.Tx) (any, bool, error) {
			return narrowed.narrow(ctx, tx, text)
		},
	}, true
}

// busy recognises SQLite's refusals to take a lock within busy_timeout
// (SQLITE_BUSY, SQLITE_LOCKED and their extended codes): another process
// holds the file, and the call may succeed later. A commit refused so was
// not made, so nothing was applied.
func busy(err error) (down, unsent bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false, false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true, true
	}
	return false, false
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if write {
		// No commit checkpoints the write-ahead log: the one that crossed
		// the mark would take tens of milliseconds longer, with the write
		// lock held, and an edit waits for it. The store checkpoints off
		// the writers' path instead (checkpoint).
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// Take the write lock at BEGIN: a transaction that first reads and
		// then writes would otherwise fail with SQLITE_BUSY instead of waiting.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Migrate applies pending migrations to the database file at path.
func Migrate(ctx context.Context, path string, log logr.Logger) (int, error) {
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer closeLogged(log, db, path)
	db.SetMaxOpenConns(1)
	return migrate(ctx, db, path, log)
}

// ReadSchema lists the migrations of this console and those the database
// file at path has applied, and reads its key check, changing nothing: a
// missing file is not created.
func ReadSchema(ctx context.Context, path string, log logr.Logger) (*sqldb.Schema, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return sqldb.ReadSchema(ctx, nil, sub, "")
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer closeLogged(log, db, path)
	return sqldb.ReadSchema(ctx, db, sub,
		"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '"+sqldb.SchemaTable+"'")
}

// migrate applies pending migrations to the file at path while holding an
// exclusive lock on a file beside it: processes starting together on a new
// database would otherwise each try to create the same tables. (PostgreSQL
// takes an advisory lock for the same reason.)
func migrate(ctx context.Context, db *sql.DB, path string, log logr.Logger) (int, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	lock, err := os.OpenFile(path+"-migrate.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return 0, fmt.Errorf("open migration lock: %w", err)
	}
	defer lock.Close() // closing releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("take migration lock: %w", err)
	}
	return sqldb.Migrate(ctx, goose.DialectSQLite3, db, sub, log)
}

// Open opens (creating if needed) and migrates the database file, and starts
// watching it for commits of other processes.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("embedded store: no database file path")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 500 * time.Millisecond
	}
	if opts.LogLimit <= 0 {
		opts.LogLimit = DefaultLogLimit
	}
	write, err := sql.Open("sqlite", dsn(opts.Path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", opts.Path, err)
	}
	// SQLite has one writer at a time; one connection makes Go queue the
	// writers instead of SQLite answering busy.
	write.SetMaxOpenConns(1)
	s := &Store{writer: rand.Text(), write: write}
	if _, err := migrate(ctx, write, opts.Path, opts.Logger); err != nil {
		closeLogged(opts.Logger, write, opts.Path)
		return nil, fmt.Errorf("embedded store %s: %w", opts.Path, err)
	}
	if err := reindexIfStale(ctx, write); err != nil {
		closeLogged(opts.Logger, write, opts.Path)
		return nil, fmt.Errorf("embedded store %s: %w", opts.Path, err)
	}
	if s.read, err = sql.Open("sqlite", dsn(opts.Path, false)); err != nil {
		closeLogged(opts.Logger, write, opts.Path)
		return nil, fmt.Errorf("open %s: %w", opts.Path, err)
	}
	s.read.SetMaxOpenConns(4)
	d := dialect
	d.NotifyStatus = s.notifyStatus
	s.DB, err = sqldb.Open(ctx, sqldb.Config{
		Dialect: d, Write: write, Read: s.read, EncryptionKey: opts.EncryptionKey, Logger: opts.Logger,
	})
	if err != nil {
		closeLogged(opts.Logger, s.read, opts.Path)
		closeLogged(opts.Logger, write, opts.Path)
		return nil, err
	}
	if err := s.pruneStatusWriters(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// Look before Open returns, so that a subscriber hears of every commit
	// and status write made after it.
	first, err := s.look(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	pollCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.wg.Go(func() { s.poll(pollCtx, opts.PollInterval, first, opts.Logger) })
	s.wg.Go(func() { s.checkpoint(pollCtx, opts.CheckpointInterval, opts.LogLimit, opts.Logger) })
	return s, nil
}

// checkpoint copies what the write-ahead log holds into the database file
// every interval, on a reading connection: a passive checkpoint takes no
// write lock, so commits go on meanwhile, and the next commit after a
// complete one starts the log from its beginning again. (Closing the last
// connection checkpoints too.) But only a write that begins after a
// complete checkpoint starts the log again, and writes that never pause
// (an import, the statuses of a first pass) leave no such moment: the log
// would grow without end (seeding a million routes grew it to 25 GB), and
// each page read looks the page up in the log's index first. Past limit
// bytes it is emptied between two writes (emptyNow, emptyLog). Before
// each checkpoint, the search index is merged (searchMerger).
func (s *Store) checkpoint(ctx context.Context, every time.Duration, limit int64, log logr.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	var checkpoints failing
	var pageSize int64
	var held time.Time
	merger := searchMerger{seen: -1}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		merger.merge(ctx, s, log)
		var busy, frames, copied int64
		err := s.read.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err == nil && pageSize == 0 {
			err = s.read.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize)
		}
		if err == nil && emptyNow(frames*pageSize, copied == frames, limit) && time.Now().After(held) {
			var emptied bool
			if emptied, err = s.emptyLog(ctx, frames, log); err == nil && !emptied {
				// A reader or another process held it: the next try
				// waits.
				held = time.Now().Add(emptyBackoff * every)
			}
		}
		// Said once until a checkpoint succeeds again: the log grows
		// meanwhile, and the store still works.
		checkpoints.report(ctx, log, err, "checkpoint the embedded store's write-ahead log", "checkpointing the embedded store's write-ahead log again")
	}
}

// emptyNow says whether the store tries to empty a log of size bytes now:
// past limit once a passive checkpoint copied all of it (copied), so that
// emptying it holds the writers only for what was written since; past four
// times limit in any case, so that writes that outrun the checkpoints wait
// for the copy. A reader of an earlier snapshot keeps the log from being
// emptied, however large.
func emptyNow(size int64, copied bool, limit int64) bool {
	return size > limit && copied || size > 4*limit
}

// emptyTimeout bounds how long emptyLog waits for readers of the log and
// for other processes' locks; emptyBackoff is how many checkpoints pass
// before it tries again when it could not empty the log.
const (
	emptyTimeout = 10 * time.Millisecond
	emptyBackoff = 10
)

// emptyLog copies the rest of the write-ahead log (frames long) into the
// database file, syncs it and empties the log, on the writing connection
// between two writes: writers, of this process and of others, wait for it
// as for one more write, which waits up to emptyTimeout for readers and
// locks before it copies. emptied is false when a reader (of an earlier
// snapshot, or still reading from the log) or another process kept it
// from emptying the log for longer than that.
func (s *Store) emptyLog(ctx context.Context, frames int64, log logr.Logger) (emptied bool, err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", emptyTimeout.Milliseconds())); err != nil {
		return false, err
	}
	defer func() {
		if _, restore := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds())); restore != nil {
			// Not handed to another writer with the short timeout.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, restore)
		}
	}()
	start := time.Now()
	var busy, left, copied int64
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &left, &copied); err != nil {
		return false, err
	}
	if busy != 0 {
		log.V(1).Info("the write-ahead log was busy; not emptied", "frames", frames, "took", time.Since(start))
		return false, nil
	}
	log.V(1).Info("emptied the write-ahead log", "frames", frames, "took", time.Since(start))
	return true, nil
}

// seen is what a poll found in the file: the store version and how many
// status writes each other store made.
type seen struct {
	version int64
	writers map[string]int64
}

func (s *Store) look(ctx context.Context) (seen, error) {
	v, err := s.Version(ctx)
	if err != nil {
		return seen{}, err
	}
	writers, err := s.otherStatusWriters(ctx)
	return seen{version: v, writers: writers}, err
}

// poll publishes commits and status writes made through other connections
// to the file, e.g. an import running beside the server. Commits of this
// process are published by the engine directly; seeing them again here only
// wakes readers twice. Status writes of this process it tells apart: those
// of others it cannot name, so readers must reread every status.
func (s *Store) poll(ctx context.Context, every time.Duration, last seen, log logr.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := s.look(ctx)
		if err != nil {
			if ctx.Err() == nil {
				// The next tick compares with the last good look.
				log.Error(err, "poll embedded store for changes")
			}
			continue
		}
		if now.version > last.version {
			s.Feed.Publish(store.Event{Version: now.version})
		}
		if statusWrittenSince(last.writers, now.writers) {
			s.StatusFeed.Publish(store.StatusEvent{MaybeMissed: true})
		}
		last = now
	}
}

// Close stops watching and closes the file.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		s.wg.Wait()
		if s.DB != nil {
			s.Feed.Shutdown()
			s.StatusFeed.Shutdown()
		}
		err = errors.Join(s.read.Close(), s.write.Close())
	})
	return err
}

func closeLogged(log logr.Logger, db *sql.DB, path string) {
	if err := db.Close(); err != nil {
		log.Error(err, "close embedded store", "path", path)
	}
}

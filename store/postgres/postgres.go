package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Channel is the LISTEN/NOTIFY channel commits are announced on; the payload
// is the new store version.
const Channel = "pomerium_console_changes"

// ListenerApplicationName is the application_name of the connection that
// listens for notifications, so that operators (and tests) can find it.
const ListenerApplicationName = "pomerium-console-listener"

// migrationLockID is the advisory lock that serialises migrations of
// concurrently starting consoles.
const migrationLockID = 0x706f6d636f6e736f // "pomconso"

// reachability recognises pgx's errors of a server that cannot be reached
// or went away: a failed connection attempt, a connection pgx closed, and
// the server's own errors of shutting down (admin_shutdown 57P01,
// crash_shutdown 57P02, cannot_connect_now 57P03 while it starts or
// recovers, too_many_connections 53300) and of class 08, connection
// exception. pgx knows when nothing was sent (SafeToRetry).
func reachability(err error) (down, unsent bool) {
	unsent = pgconn.SafeToRetry(err)
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true, true
	}
	if errors.Is(err, pgconn.ErrConnClosed) {
		return true, unsent
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300", strings.HasPrefix(pe.Code, "08"):
			return true, unsent
		}
	}
	return false, false
}

// Options configure Open.
type Options struct {
	// URL is the database_url: postgres://user:pass@host:port/db?sslmode=...
	URL string
	// EncryptionKey is the 32-byte database_encryption_key.
	EncryptionKey []byte
	Logger        logr.Logger
	// MaxConns bounds the connection pool; 0 means 16.
	MaxConns int
}

// Store is the PostgreSQL store.
type Store struct {
	*sqldb.DB
	// sender tells this store's status notifications from those of other
	// processes: its own it has already published.
	sender    string
	pool      *sql.DB
	listen    *pgx.ConnConfig
	log       logr.Logger
	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

var dialect = sqldb.Dialect{
	Name:      "postgres",
	Numbered:  true,
	ForUpdate: " FOR UPDATE",
	NoLimit:   "ALL",
	// A text parameter cast to jsonb, as the SQLite form takes text.
	JSONTextArray: "SELECT jsonb_array_elements_text(CAST(%s AS jsonb))",
	StatusRows: "SELECT r->>0, r->>1, r->>2, CAST(r->>3 AS bigint), CAST(r->>4 AS bigint), r->>5, r->>6, CAST(r->>7 AS bigint)" +
		" FROM jsonb_array_elements(CAST(%s AS jsonb)) r",
	ReadTx: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	// A restore inserts activity entries with their ids; the next entry
	// takes the id after the last.
	AfterRestore: "SELECT setval(pg_get_serial_sequence('activity', 'id'), COALESCE((SELECT max(id) FROM activity), 0) + 1, false)",
	IsUniqueViolation: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	Reachability: reachability,
	Announce:     "SELECT pg_notify('" + Channel + "', %s)",
	WritableCTE:  true,
}

// Migrate applies pending migrations under an advisory lock, so that several
// consoles starting at once migrate one after the other.
func Migrate(ctx context.Context, url string, log logr.Logger) (int, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return 0, fmt.Errorf("database_url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer closeLogged(log, db)
	return migrate(ctx, db, log)
}

// ReadSchema lists the migrations of this console and those the database
// has applied, and reads its key check, changing nothing.
func ReadSchema(ctx context.Context, url string, log logr.Logger) (*sqldb.Schema, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database_url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer closeLogged(log, db)
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return sqldb.ReadSchema(ctx, db, sub, "SELECT to_regclass('"+sqldb.SchemaTable+"') IS NOT NULL")
}

func migrate(ctx context.Context, db *sql.DB, log logr.Logger) (int, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
	if err != nil {
		return 0, err
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	return sqldb.Migrate(ctx, goose.DialectPostgres, db, sub, log, goose.WithSessionLocker(locker))
}

// Open connects, migrates and starts listening for commits.
func Open(ctx context.Context, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("database_url: %w", err)
	}
	pool := stdlib.OpenDB(*cfg)
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	pool.SetMaxOpenConns(opts.MaxConns)
	pool.SetMaxIdleConns(8)
	if _, err := migrate(ctx, pool, opts.Logger); err != nil {
		closeLogged(opts.Logger, pool)
		return nil, err
	}
	var searchIndexed bool
	if err := pool.QueryRowContext(ctx, "SELECT to_regclass('objects_search') IS NOT NULL").Scan(&searchIndexed); err != nil {
		closeLogged(opts.Logger, pool)
		return nil, fmt.Errorf("look for the search index: %w", err)
	}
	if !searchIndexed {
		opts.Logger.Info("searches read every object of the scope: the database has no trigram index objects_search, " +
			"because the extension pg_trgm could not be created or is not on the search path; the database's owner can run CREATE EXTENSION pg_trgm, " +
			"then CREATE INDEX objects_search ON objects USING gin (search gin_trgm_ops) WHERE NOT deleted")
	}
	s := &Store{sender: rand.Text(), pool: pool, log: opts.Logger, listen: cfg.Copy()}
	s.listen.RuntimeParams["application_name"] = ListenerApplicationName
	d := dialect
	d.NotifyStatus = s.notifyStatus
	s.DB, err = sqldb.Open(ctx, sqldb.Config{
		Dialect: d, Write: pool, Read: pool, EncryptionKey: opts.EncryptionKey, Logger: opts.Logger,
	})
	if err != nil {
		closeLogged(opts.Logger, pool)
		return nil, err
	}
	// The first LISTEN happens before Open returns, so that a subscriber
	// never misses a commit made after Open.
	conn, err := s.connectListener(ctx)
	if err != nil {
		closeLogged(opts.Logger, pool)
		return nil, err
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.wg.Go(func() { s.listenLoop(lctx, conn) })
	return s, nil
}

func (s *Store) connectListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return nil, fmt.Errorf("connect change listener: %w", err)
	}
	for _, channel := range []string{Channel, StatusChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
			_ = conn.Close(ctx) // the LISTEN error is the one worth reporting
			return nil, fmt.Errorf("listen on %s: %w", channel, err)
		}
	}
	return conn, nil
}

// listenLoop turns notifications into events. When the connection drops it
// reconnects with backoff and then tells subscribers they may have missed
// changes, since notifications sent while it was away are gone.
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn) {
	backoff := 50 * time.Millisecond
	for {
		err := s.receive(ctx, conn)
		closeConn(conn)
		if ctx.Err() != nil {
			return
		}
		s.log.Error(err, "change listener lost its connection; reconnecting")
		for conn = nil; conn == nil; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			if conn, err = s.connectListener(ctx); err != nil {
				backoff = min(backoff*2, 5*time.Second)
				s.log.Error(err, "reconnect change listener", "retry_in", backoff)
			}
		}
		backoff = 50 * time.Millisecond
		v, err := s.Version(ctx)
		if err != nil {
			s.log.Error(err, "read version after reconnecting the change listener")
		}
		s.log.Info("change listener reconnected; readers resync", "version", v)
		s.Feed.Publish(store.Event{Version: v, MaybeMissed: true})
		s.StatusFeed.Publish(store.StatusEvent{MaybeMissed: true})
	}
}

func (s *Store) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == StatusChannel {
			s.receiveStatus(n.Payload)
			continue
		}
		v, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			s.log.Error(err, "ignore notification with a payload that is not a version", "payload", n.Payload)
			continue
		}
		s.Feed.Publish(store.Event{Version: v})
	}
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// The connection is being dropped after an error or at shutdown; an
	// error closing it says nothing new.
	_ = conn.Close(ctx)
}

// Close stops listening and closes the pool.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		s.wg.Wait()
		s.Feed.Shutdown()
		s.StatusFeed.Shutdown()
		err = s.pool.Close()
	})
	return err
}

func closeLogged(log logr.Logger, db *sql.DB) {
	if err := db.Close(); err != nil {
		log.Error(err, "close database pool")
	}
}

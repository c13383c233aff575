package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
)

// Config is what a backend hands the engine.
type Config struct {
	Dialect Dialect
	// Write takes write transactions; Read takes reads. They may be the same
	// pool (PostgreSQL) or two (SQLite: one writer connection, many readers).
	Write, Read *sql.DB
	// EncryptionKey is the 32-byte key that seals secrets at rest.
	EncryptionKey []byte
	Logger        logr.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DB implements store.Store but for Close, which belongs to the backend that
// owns the connections and the notification channel.
type DB struct {
	d      Dialect
	write  *sql.DB
	read   *sql.DB
	sealer *store.Sealer
	log    logr.Logger
	now    func() time.Time
	// Feed carries change events; the engine publishes every commit it makes,
	// the backend publishes what it learns from other processes.
	Feed store.Feed
	// StatusFeed carries status events, published the same way.
	StatusFeed store.StatusFeed

	// statusBatches are the upserts of statusBatchSizes statuses,
	// prepared on the write pool where statuses are written in batches of
	// rows (see setStatusBatches).
	statusBatches []*sql.Stmt
	// stmts are the statements of write transactions kept prepared from
	// one to the next, where Dialect.PrepareWrites.
	stmts *sharedStatements
}

// Open checks the encryption key against the database (sealing a key check
// on first use), makes sure the Global namespace exists and seals the route
// and settings secrets an earlier console kept in plain text. The schema
// must already be migrated.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	sealer, err := store.NewSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	db := &DB{d: cfg.Dialect, write: cfg.Write, read: cfg.Read, sealer: sealer, log: cfg.Logger, now: cfg.Now}
	if db.d.PrepareWrites {
		db.stmts = newSharedStatements(db.write)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.bootstrap(ctx); err != nil {
		return nil, err
	}
	if err := db.sealSpecs(ctx); err != nil {
		return nil, err
	}
	if db.d.StatusRows == "" {
		for _, n := range statusBatchSizes {
			stmt, err := db.write.PrepareContext(ctx, db.upsertStatusesText(n))
			if err != nil {
				return nil, fmt.Errorf("prepare the status write of %d rows: %w", n, err)
			}
			db.statusBatches = append(db.statusBatches, stmt)
		}
	}
	return db, nil
}

func (db *DB) bootstrap(ctx context.Context) error {
	return db.inWriteTx(ctx, func(w *writer) error {
		var check []byte
		if err := w.tx.QueryRowContext(ctx, "SELECT key_check FROM console_meta WHERE id = 1").Scan(&check); err != nil {
			return fmt.Errorf("read key check: %w", err)
		}
		if check == nil {
			if _, err := w.tx.ExecContext(ctx, db.d.q("UPDATE console_meta SET key_check = $1 WHERE id = 1"), db.sealer.KeyCheck()); err != nil {
				return fmt.Errorf("write key check: %w", err)
			}
		} else if err := db.sealer.CheckKey(check); err != nil {
			return err
		}
		if err := w.upgradeRefs(ctx); err != nil {
			return err
		}
		if err := w.chainLegacy(ctx); err != nil {
			return err
		}
		if _, err := w.load(ctx, store.KindNamespace, store.GlobalNamespaceID); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global"}}
		_, err := w.write(ctx, global, nil, store.Actor{Subject: "system", Origin: store.OriginSystem})
		return err
	})
}

// inWriteTx runs fn in a write transaction that holds the version lock and
// commits the versions fn took. The commit is published on the feed. A
// database that cannot be reached, or drops the connection, fails with
// the store's CodeUnavailable.
func (db *DB) inWriteTx(ctx context.Context, fn func(*writer) error) error {
	committing, err := db.writeTx(ctx, fn)
	if committing {
		return db.unavailable(err, store.MaybeApplied)
	}
	return db.unavailable(err, store.NotApplied)
}

// writeTx is inWriteTx; committing reports whether err came from the
// commit itself.
func (db *DB) writeTx(ctx context.Context, fn func(*writer) error) (committing bool, err error) {
	db.stmts.prepare(ctx)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer rollback(db, tx)
	w := &writer{db: db, tx: newTxStatements(tx, db.d.PrepareWrites, db.stmts), now: db.now().UTC().Truncate(time.Microsecond)}
	if err := w.lock(ctx); err != nil {
		return false, err
	}
	start := w.version
	if err := fn(w); err != nil {
		return false, err
	}
	// A note appends to the activity log without taking a version.
	if err := w.finish(ctx, start); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return w.version != start, fmt.Errorf("commit: %w", err)
	}
	if w.version != start {
		db.Feed.Publish(store.Event{Version: w.version})
	}
	return false, nil
}

// lockStatement starts every write transaction: it reads the store's
// version and the activity chain's head, and locks both rows until the
// commit (on SQLite the transaction's own write lock does), so that
// versions commit in order, a reader that saw version N never later finds
// a commit numbered below N, and two transactions never chain to the same
// entry. The last id of the log comes in the same round trip: ids continue
// past every row, so that an entry outside the chain (which verification
// names) does not make the next append fail.
const lockStatement = `SELECT m.version, c.seq, c.entry_id, c.hash, (SELECT COALESCE(max(id), 0) FROM activity)
	FROM console_meta m, activity_chain c WHERE m.id = 1 AND c.id = 1`

// lock takes the write lock and reads what it guards.
func (w *writer) lock(ctx context.Context) error {
	var err error
	w.version, w.chain, err = w.readHead(ctx)
	return err
}

// readHead reads the store's version and the chain's head, locking both.
func (w *writer) readHead(ctx context.Context) (int64, *chainHead, error) {
	var version, last int64
	c := &chainHead{}
	if err := w.tx.QueryRowContext(ctx, lockStatement+w.db.d.ForUpdate).Scan(&version, &c.Seq, &c.EntryID, &c.Hash, &last); err != nil {
		return 0, nil, fmt.Errorf("lock version: %w", err)
	}
	c.nextID = max(last, c.EntryID) + 1
	return version, c, nil
}

// finish writes what the transaction advanced: the activity chain's head
// when it appended entries, the store's version when it wrote objects, and
// the announcement of that version to other processes. A database that
// takes data-modifying statements in a WITH (PostgreSQL) gets them as one
// statement: on a route's edit, each round trip more is a wait for the
// database and, on a busy machine, for a core.
func (w *writer) finish(ctx context.Context, start int64) error {
	var parts []Statement
	if c := w.chain; c != nil && c.dirty {
		parts = append(parts, func(arg func(any) string) string {
			return "UPDATE activity_chain SET seq = " + arg(c.Seq) + ", entry_id = " + arg(c.EntryID) + ", hash = " + arg(c.Hash) + " WHERE id = 1"
		})
	}
	if w.version != start {
		parts = append(parts, func(arg func(any) string) string {
			return "UPDATE console_meta SET version = " + arg(w.version) + " WHERE id = 1"
		})
		if w.db.d.Announce != "" {
			parts = append(parts, func(arg func(any) string) string {
				return fmt.Sprintf(w.db.d.Announce, arg(strconv.FormatInt(w.version, 10)))
			})
		}
	}
	if err := w.db.d.runAll(ctx, w.tx, parts); err != nil {
		return fmt.Errorf("write the version and the activity chain's head: %w", err)
	}
	if w.chain != nil {
		w.chain.dirty = false
	}
	return nil
}

// inReadTx runs fn in a transaction that sees one snapshot of the data.
func (db *DB) inReadTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, db.d.ReadTx)
	if err != nil {
		return db.unavailable(fmt.Errorf("begin read: %w", err), store.NoWrite)
	}
	defer rollback(db, tx)
	if err := fn(tx); err != nil {
		return db.unavailable(err, store.NoWrite)
	}
	return db.unavailable(tx.Commit(), store.NoWrite)
}

// Version returns the version of the last committed write.
func (db *DB) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := db.read.QueryRowContext(ctx, "SELECT version FROM console_meta WHERE id = 1").Scan(&v); err != nil {
		return 0, db.unavailable(fmt.Errorf("read version: %w", err), store.NoWrite)
	}
	return v, nil
}

// KindsVersion returns the highest version of the objects of kinds,
// tombstones included (a delete takes a version), and their number.
func (db *DB) KindsVersion(ctx context.Context, kinds ...store.Kind) (int64, int, error) {
	var args params
	marks := make([]string, len(kinds))
	for i, k := range kinds {
		marks[i] = args.add(string(k))
	}
	var v sql.NullInt64
	var n int
	err := db.read.QueryRowContext(ctx, db.d.q("SELECT max(version), count(*) FROM objects WHERE kind IN ("+strings.Join(marks, ", ")+")"), args...).Scan(&v, &n)
	if err != nil {
		return 0, 0, db.unavailable(fmt.Errorf("read the version of %v: %w", kinds, err), store.NoWrite)
	}
	return v.Int64, n, nil
}

// Subscribe returns a subscription to the engine's feed.
func (db *DB) Subscribe(ctx context.Context) *store.Subscription { return db.Feed.Subscribe(ctx) }

// SubscribeStatus returns a subscription to the engine's status feed.
func (db *DB) SubscribeStatus(ctx context.Context) *store.StatusSubscription {
	return db.StatusFeed.Subscribe(ctx)
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

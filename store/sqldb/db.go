package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.bootstrap(ctx); err != nil {
		return nil, err
	}
	if err := db.sealSpecs(ctx); err != nil {
		return nil, err
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
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer rollback(db, tx)
	w := &writer{db: db, tx: newTxStatements(tx, db.d.PrepareWrites), now: db.now().UTC().Truncate(time.Microsecond)}
	if err := tx.QueryRowContext(ctx, db.d.LockVersion).Scan(&w.version); err != nil {
		return false, fmt.Errorf("lock version: %w", err)
	}
	start := w.version
	if err := fn(w); err != nil {
		return false, err
	}
	// A note appends to the activity log without taking a version.
	if err := w.saveChain(ctx); err != nil {
		return false, err
	}
	if w.version == start {
		// Nothing was written: whatever the commit says, nothing changed.
		return false, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, db.d.q("UPDATE console_meta SET version = $1 WHERE id = 1"), w.version); err != nil {
		return false, fmt.Errorf("advance version: %w", err)
	}
	if db.d.Notify != nil {
		if err := db.d.Notify(ctx, tx, w.version); err != nil {
			return false, fmt.Errorf("notify: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return true, fmt.Errorf("commit: %w", err)
	}
	db.Feed.Publish(store.Event{Version: w.version})
	return false, nil
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

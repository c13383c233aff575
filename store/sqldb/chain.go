package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// The activity log's hash chain (store.ChainHash). Entries are appended
// only inside write transactions, which all begin by taking the version
// lock (writer.lock): so appends are already serialised in commit order,
// and two transactions never chain to the same entry. The chain's head
// (activity_chain) is read with the version, with a row lock of its own on
// PostgreSQL so that the guarantee does not rest on the version lock
// alone, and written back once before the commit (writer.finish).

// legacyChainBatch is how many entries of an older console the store
// chains per statement round when it first opens on them.
const legacyChainBatch = 1000

// chainHead is the head of the chain as a write transaction advances it.
type chainHead struct {
	store.ChainPoint
	// nextID is the id the next entry takes: the hash covers the id, so
	// the store picks it rather than the database's sequence.
	nextID int64
	dirty  bool
}

// appendActivity inserts e at the end of the chain, setting its id,
// position and hashes.
func (w *writer) appendActivity(ctx context.Context, e *store.ActivityEntry) error {
	if err := w.loadChain(ctx); err != nil {
		return err
	}
	c := w.chain
	for {
		e.ID, e.Seq, e.PrevHash = c.nextID, c.Seq+1, c.Hash
		e.Hash = store.ChainHash(e.PrevHash, e)
		res, err := w.tx.ExecContext(ctx, w.db.d.q(`INSERT INTO activity (`+activityColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (id) DO NOTHING`),
			e.ID, e.Version, micros(e.Time), e.Subject, string(e.Origin), string(e.Action), string(e.EntityType), e.EntityID,
			e.EntityName, e.NamespaceID, e.Snapshot, e.Diff, e.Added, e.Removed, e.Seq, e.PrevHash, e.Hash)
		if err != nil {
			return fmt.Errorf("record activity of %s %s: %w", e.EntityType, e.EntityID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("record activity of %s %s: %w", e.EntityType, e.EntityID, err)
		} else if n == 1 {
			break
		}
		// The id was taken by an entry outside the chain that committed
		// after the lock statement's snapshot (on PostgreSQL the statement
		// that waits for the lock sees the rows of before the wait): the
		// entry takes the id after the last.
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) + 1 FROM activity").Scan(&c.nextID); err != nil {
			return fmt.Errorf("read the activity log's last id: %w", err)
		}
	}
	c.ChainPoint = store.ChainPoint{Seq: e.Seq, EntryID: e.ID, Hash: e.Hash}
	c.nextID++
	c.dirty = true
	return nil
}

// loadChain reads the chain's head again when a restore replaced it
// (lock reads it first, for every transaction).
func (w *writer) loadChain(ctx context.Context) error {
	if w.chain != nil {
		return nil
	}
	_, c, err := w.readHead(ctx)
	if err != nil {
		return err
	}
	w.chain = c
	return nil
}

// chainLegacy chains the entries written before the store kept a chain (up
// to activity_chain.legacy_through), in the order of their ids, after the
// chain's head: once, when a store first opens after the migration or
// after restoring a backup of an older console. The result depends on the
// entries alone, so every store holding them chains them alike.
func (w *writer) chainLegacy(ctx context.Context) error {
	var through int64
	if err := w.tx.QueryRowContext(ctx, "SELECT legacy_through FROM activity_chain WHERE id = 1").Scan(&through); err != nil {
		return fmt.Errorf("read the activity chain's head: %w", err)
	}
	if err := w.loadChain(ctx); err != nil {
		return err
	}
	chained := 0
	for {
		batch, err := w.unchained(ctx, w.chain.EntryID, through)
		if err != nil {
			return err
		}
		for _, e := range batch {
			c := w.chain
			e.Seq, e.PrevHash = c.Seq+1, c.Hash
			e.Hash = store.ChainHash(e.PrevHash, e)
			if _, err := w.tx.ExecContext(ctx, w.db.d.q("UPDATE activity SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4"),
				e.Seq, e.PrevHash, e.Hash, e.ID); err != nil {
				return fmt.Errorf("chain activity entry %d: %w", e.ID, err)
			}
			c.ChainPoint = store.ChainPoint{Seq: e.Seq, EntryID: e.ID, Hash: e.Hash}
			c.dirty = true
		}
		chained += len(batch)
		if len(batch) < legacyChainBatch {
			break
		}
	}
	if chained > 0 {
		w.db.log.Info("chained the activity log entries written before the log was a hash chain", "entries", chained, "head", w.chain.String())
	}
	return nil
}

// unchained reads the next entries without a position after id after, up
// to id through.
func (w *writer) unchained(ctx context.Context, after, through int64) ([]*store.ActivityEntry, error) {
	rows, err := w.tx.QueryContext(ctx, w.db.d.q("SELECT "+activityColumns+" FROM activity WHERE seq IS NULL AND id > $1 AND id <= $2 ORDER BY id"+
		fmt.Sprintf(" LIMIT %d", legacyChainBatch)), after, through)
	if err != nil {
		return nil, fmt.Errorf("read unchained activity: %w", err)
	}
	defer rows.Close()
	var out []*store.ActivityEntry
	for rows.Next() {
		e, err := scanActivity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyActivity hands v the chain as one snapshot holds it.
func (db *DB) VerifyActivity(ctx context.Context, v *store.ChainVerifier) (*store.ChainResult, error) {
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var head store.ChainPoint
		if err := tx.QueryRowContext(ctx, "SELECT seq, entry_id, hash FROM activity_chain WHERE id = 1").
			Scan(&head.Seq, &head.EntryID, &head.Hash); err != nil {
			return fmt.Errorf("read the activity chain's head: %w", err)
		}
		v.Begin(head)
		if err := feedChain(ctx, tx, db.d.q("SELECT "+activityColumns+" FROM activity WHERE seq >= $1 ORDER BY seq"), v.From(), v.Add); err != nil {
			return err
		}
		return feedChain(ctx, tx, "SELECT "+activityColumns+" FROM activity WHERE seq IS NULL ORDER BY id LIMIT 1", nil, func(e *store.ActivityEntry) bool {
			v.Unchained(e)
			return false
		})
	})
	if err != nil {
		return nil, err
	}
	return v.Result(), nil
}

// feedChain hands fn the entries query reads until fn wants no more.
func feedChain(ctx context.Context, tx *sql.Tx, query string, arg any, fn func(*store.ActivityEntry) bool) error {
	var args []any
	if arg != nil {
		args = append(args, arg)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read activity chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanActivity(rows)
		if err != nil {
			return fmt.Errorf("read activity chain: %w", err)
		}
		if !fn(e) {
			return nil
		}
	}
	return rows.Err()
}

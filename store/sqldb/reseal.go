package sqldb

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pomerium-console/pomerium-console/store"
)

// resealBatch is how many rows one transaction of the sealing at open
// reads: enough that a store of 100,000 routes takes a few hundred
// transactions, few enough that no writer waits long behind one.
const resealBatch = 500

// resealKinds are the kinds whose data holds sealed secrets.
var resealKinds = []store.Kind{store.KindRoute, store.KindSettings}

// sealSpecs seals the secrets that route and settings rows written by an
// earlier console keep in plain text (store.ResealData), live rows and
// tombstones alike (a tombstone keeps its last data), in transactions of
// resealBatch rows each, then records store.SealedVersion so that later
// opens skip the pass. A pass cut short is run again whole at the next
// open: a row already sealed is read and left as it is. The rows keep
// their versions: what they hold is unchanged, only its form at rest.
func (db *DB) sealSpecs(ctx context.Context) error {
	var have int
	if err := db.write.QueryRowContext(ctx, "SELECT sealed_version FROM console_meta WHERE id = 1").Scan(&have); err != nil {
		return db.unavailable(fmt.Errorf("read the sealed version: %w", err), store.NoWrite)
	}
	if have >= store.SealedVersion {
		return nil
	}
	c := &resealCursor{}
	for more := true; more; {
		err := db.inWriteTx(ctx, func(w *writer) error {
			var err error
			more, err = w.resealNext(ctx, c)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := db.inWriteTx(ctx, func(w *writer) error { return w.markSealed(ctx) }); err != nil {
		return err
	}
	return db.afterReseal(ctx, c.sealed)
}

// afterReseal runs the dialect's AfterReseal once sealed rows were sealed
// in place, and says so in the log.
func (db *DB) afterReseal(ctx context.Context, sealed int) error {
	if sealed == 0 {
		return nil
	}
	if db.d.AfterReseal != nil {
		if err := db.d.AfterReseal(ctx, db.write); err != nil {
			return db.unavailable(fmt.Errorf("after sealing: %w", err), store.NoWrite)
		}
	}
	db.log.Info("sealed the route and settings secrets an earlier version kept in plain text", "objects", sealed, "sealed_version", store.SealedVersion)
	return nil
}

// resealAll seals every plain secret of route and settings rows in the
// transaction of w, which a restore makes whole: a backup made by an
// earlier console holds them in plain text. It returns how many rows it
// sealed, for afterReseal once the transaction committed.
func (w *writer) resealAll(ctx context.Context) (int, error) {
	c := &resealCursor{}
	for more := true; more; {
		var err error
		if more, err = w.resealNext(ctx, c); err != nil {
			return 0, err
		}
	}
	return c.sealed, w.markSealed(ctx)
}

// resealCursor is how far a pass of sealing went.
type resealCursor struct {
	kind   int    // index in resealKinds
	after  string // the last id read of that kind
	sealed int    // rows sealed so far
}

// resealNext seals the plain secrets of the next resealBatch rows of the
// pass and reports whether rows remain.
func (w *writer) resealNext(ctx context.Context, c *resealCursor) (more bool, err error) {
	k := resealKinds[c.kind]
	batch, err := w.readData(ctx, k, c.after, resealBatch)
	if err != nil {
		return false, err
	}
	for _, r := range batch {
		data, resealed, err := store.ResealData(w.db.sealer, k, r.id, r.data)
		if err != nil {
			return false, fmt.Errorf("%s %s: %w", k, r.id, err)
		}
		if !resealed {
			continue
		}
		if _, err := w.tx.ExecContext(ctx, w.db.d.q("UPDATE objects SET data = $1 WHERE kind = $2 AND id = $3"), data, string(k), r.id); err != nil {
			return false, fmt.Errorf("seal the secrets of %s %s: %w", k, r.id, err)
		}
		c.sealed++
	}
	if len(batch) == resealBatch {
		c.after = batch[len(batch)-1].id
	} else {
		c.kind, c.after = c.kind+1, ""
	}
	return c.kind < len(resealKinds), nil
}

// dataRow is the data of one row of the objects table.
type dataRow struct {
	id   string
	data []byte
}

// readData reads the data of up to limit rows of kind k with ids after
// after, in id order, live or deleted. The rows are read whole before any
// is written: SQLite's one write connection cannot run an update while a
// read is open on it.
func (w *writer) readData(ctx context.Context, k store.Kind, after string, limit int) ([]dataRow, error) {
	rows, err := w.tx.QueryContext(ctx, w.db.d.q("SELECT id, data FROM objects WHERE kind = $1 AND id > $2 ORDER BY id LIMIT "+strconv.Itoa(limit)),
		string(k), after)
	if err != nil {
		return nil, fmt.Errorf("read %s rows to seal: %w", k, err)
	}
	defer rows.Close()
	var out []dataRow
	for rows.Next() {
		var r dataRow
		if err := rows.Scan(&r.id, &r.data); err != nil {
			return nil, fmt.Errorf("read %s rows to seal: %w", k, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s rows to seal: %w", k, err)
	}
	return out, nil
}

// markSealed records that every route and settings row is sealed as
// store.SealedVersion says.
func (w *writer) markSealed(ctx context.Context) error {
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("UPDATE console_meta SET sealed_version = $1 WHERE id = 1"), store.SealedVersion); err != nil {
		return fmt.Errorf("write the sealed version: %w", err)
	}
	return nil
}

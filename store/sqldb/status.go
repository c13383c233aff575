package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// SetStatus upserts statuses, all or none. It does not take the version
// lock: status is not desired state. On PostgreSQL a write is one
// statement (see Dialect.StatusRows), which needs no transaction of its
// own: one round trip instead of four on every edit's status.
func (db *DB) SetStatus(ctx context.Context, statuses []store.ObjectStatus) (err error) {
	defer db.markUnavailable(&err)
	if len(statuses) == 0 {
		return nil
	}
	w, err := db.statusWrite(statuses)
	if err != nil {
		return err
	}
	if db.d.StatusRows != "" {
		err = db.setStatusRows(ctx, w)
	} else {
		err = db.setStatusBatches(ctx, w)
	}
	if err != nil {
		return err
	}
	db.StatusFeed.Publish(store.StatusEvent{Objects: w.objects})
	return nil
}

// statusWrite is what one status write does: remove, upsert, then notify.
type statusWrite struct {
	removals []Statement
	upserts  []store.ObjectStatus
	notify   []Statement
	// objects are those whose status it changes.
	objects []store.ObjectKey
}

// statusWrite finds what one write of statuses does.
func (db *DB) statusWrite(statuses []store.ObjectStatus) (*statusWrite, error) {
	// The last status given for an object wins; a multi-row upsert may not
	// name one row twice.
	last := make(map[store.ObjectKey]int, len(statuses))
	for i, s := range statuses {
		last[store.ObjectKey{Kind: s.Kind, ID: s.ID}] = i
	}
	w := &statusWrite{}
	removes := func(s store.ObjectStatus) bool { return s.State == "" }
	if len(last) == len(statuses) && !slices.ContainsFunc(statuses, removes) {
		w.upserts = statuses // each once, none removed: as given
	} else if err := w.split(db.d, statuses, last); err != nil {
		return nil, err
	}
	w.objects = make([]store.ObjectKey, 0, len(last))
	for key := range last {
		w.objects = append(w.objects, key)
	}
	if db.d.NotifyStatus != nil {
		notify, err := db.d.NotifyStatus(w.objects)
		if err != nil {
			return nil, fmt.Errorf("notify statuses: %w", err)
		}
		w.notify = notify
	}
	return w, nil
}

// split divides statuses into upserts and removals, each object's last
// status (last holds its index) alone.
func (w *statusWrite) split(d Dialect, statuses []store.ObjectStatus, last map[store.ObjectKey]int) error {
	removed := map[store.Kind][]string{}
	var removedKinds []store.Kind
	for i, s := range statuses {
		if last[store.ObjectKey{Kind: s.Kind, ID: s.ID}] != i {
			continue
		}
		if s.State != "" {
			w.upserts = append(w.upserts, s)
			continue
		}
		if removed[s.Kind] == nil {
			removedKinds = append(removedKinds, s.Kind)
		}
		removed[s.Kind] = append(removed[s.Kind], s.ID)
	}
	for _, k := range removedKinds {
		ids, err := json.Marshal(removed[k])
		if err != nil {
			return fmt.Errorf("encode ids: %w", err)
		}
		w.removals = append(w.removals, func(arg func(any) string) string {
			return "DELETE FROM object_status WHERE kind = " + arg(string(k)) + " AND id IN (" + fmt.Sprintf(d.JSONTextArray, arg(string(ids))) + ")"
		})
	}
	return nil
}

// setStatusRows writes w with its upserts as one statement over a JSON
// array of rows (Dialect.StatusRows): where the database takes
// data-modifying statements in a WITH, the whole write is one statement.
func (db *DB) setStatusRows(ctx context.Context, w *statusWrite) error {
	stmts := w.removals
	if len(w.upserts) > 0 {
		rows, err := statusRows(w.upserts)
		if err != nil {
			return err
		}
		stmts = append(stmts, func(arg func(any) string) string {
			return "INSERT INTO object_status (" + statusColumns + ") " + fmt.Sprintf(db.d.StatusRows, arg(rows)) + statusConflict
		})
	}
	stmts = append(stmts, w.notify...)
	groups := db.d.groups(stmts)
	if db.d.WritableCTE && len(groups) == 1 {
		if err := db.d.runGroups(ctx, db.write, groups); err != nil {
			return fmt.Errorf("write %d statuses: %w", len(w.objects), err)
		}
		return nil
	}
	return db.inStatusTx(ctx, w, func(tx *sql.Tx) error { return db.d.runGroups(ctx, tx, groups) })
}

// statusBatchSizes are the numbers of rows of the status upserts prepared
// when the store opens, where statuses are written as statements of rows
// (DB.statusBatches): a first pass over 100,000 routes writes as many
// statuses, and one statement per row costs seconds. The first is the
// most a statement names.
var statusBatchSizes = []int{500, 256, 128, 64, 32, 16, 8, 4, 2, 1}

// setStatusBatches writes w with its upserts as statements of rows, each
// the largest of statusBatchSizes that the rows left fill, so that every
// statement was prepared when the store opened: parsing the 4,000
// parameters' text of 500 rows at every batch took SQLite about a third of
// the write, and during bulk work, whose writes are seldom whole batches,
// parsing a statement for the rows left over at each write took about 4%
// of the console's CPU.
func (db *DB) setStatusBatches(ctx context.Context, w *statusWrite) error {
	return db.inStatusTx(ctx, w, func(tx *sql.Tx) error {
		// The removals' statements are the same text each time.
		ts := newTxStatements(tx, db.d.PrepareWrites, db.stmts)
		if err := db.d.runAll(ctx, ts, w.removals); err != nil {
			return err
		}
		stmts := make([]*sql.Stmt, len(statusBatchSizes))
		var args []any
		for rest := w.upserts; len(rest) > 0; {
			i := slices.IndexFunc(statusBatchSizes, func(n int) bool { return n <= len(rest) })
			if stmts[i] == nil {
				stmts[i] = tx.StmtContext(ctx, db.statusBatches[i])
			}
			batch := rest[:statusBatchSizes[i]]
			rest = rest[len(batch):]
			args = statusArgs(args[:0], batch)
			if _, err := stmts[i].ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return db.d.runAll(ctx, ts, w.notify)
	})
}

// inStatusTx runs fn, which makes w, in a write transaction of its own and
// commits it.
func (db *DB) inStatusTx(ctx context.Context, w *statusWrite, fn func(*sql.Tx) error) error {
	db.stmts.prepare(ctx)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin status write: %w", err)
	}
	defer rollback(db, tx)
	if err := fn(tx); err != nil {
		return fmt.Errorf("write %d statuses: %w", len(w.objects), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit statuses: %w", err)
	}
	return nil
}

// statusColumns are the columns of object_status in the order a status
// write gives them; statusConflict ends its INSERT.
const (
	statusColumns  = "kind, id, state, object_version, record_version, reason, field, updated_at"
	statusConflict = ` ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, object_version = excluded.object_version,
		record_version = excluded.record_version, reason = excluded.reason, field = excluded.field,
		updated_at = excluded.updated_at`
)

// upsertStatusesText is the upsert of rows statuses, whose parameters are
// statusArgs.
func (db *DB) upsertStatusesText(rows int) string {
	var none params
	return db.d.build(func(arg func(any) string) string {
		var b strings.Builder
		b.WriteString("INSERT INTO object_status (" + statusColumns + ") VALUES ")
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for c := range statusColumnCount {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString(arg(nil))
			}
			b.WriteString(")")
		}
		b.WriteString(statusConflict)
		return b.String()
	}, &none)
}

// statusColumnCount is how many columns statusColumns names.
const statusColumnCount = 8

// statusArgs appends to args the parameters of the upsert of statuses:
// the columns statusColumns names, row after row.
func statusArgs(args []any, statuses []store.ObjectStatus) []any {
	args = slices.Grow(args, statusColumnCount*len(statuses))
	for _, s := range statuses {
		args = append(args, string(s.Kind), s.ID, string(s.State), s.ObjectVersion, int64(s.RecordVersion), s.Reason, s.Field, micros(s.UpdatedAt))
	}
	return args
}

// statusRows encodes statuses as the JSON array Dialect.StatusRows reads:
// each an array of the columns statusColumns names, in that order.
func statusRows(statuses []store.ObjectStatus) (string, error) {
	args := statusArgs(nil, statuses)
	rows := make([][]any, len(statuses))
	for i := range rows {
		rows[i] = args[i*statusColumnCount : (i+1)*statusColumnCount]
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode statuses: %w", err)
	}
	return string(b), nil
}

// Status returns stored statuses by id.
func (db *DB) Status(ctx context.Context, k store.Kind, ids ...string) (_ map[string]store.ObjectStatus, err error) {
	defer db.markUnavailable(&err)
	query := "SELECT kind, id, state, object_version, record_version, reason, field, updated_at FROM object_status WHERE kind = $1"
	args := params{string(k)}
	if len(ids) > 0 {
		cond, err := db.inList("id", ids, &args)
		if err != nil {
			return nil, err
		}
		query += " AND " + cond
	}
	rows, err := db.read.QueryContext(ctx, db.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read statuses of %s: %w", k, err)
	}
	defer rows.Close()
	out := map[string]store.ObjectStatus{}
	for rows.Next() {
		var s store.ObjectStatus
		var rv, at int64
		if err := rows.Scan(&s.Kind, &s.ID, &s.State, &s.ObjectVersion, &rv, &s.Reason, &s.Field, &at); err != nil {
			return nil, fmt.Errorf("read status: %w", err)
		}
		s.RecordVersion, s.UpdatedAt = uint64(rv), fromMicros(at)
		out[s.ID] = s
	}
	return out, rows.Err()
}

// SetHealth records a reconciler's health.
func (db *DB) SetHealth(ctx context.Context, h store.Health) (err error) {
	defer db.markUnavailable(&err)
	if strings.TrimSpace(h.Name) == "" {
		return store.Invalid("", "", "name", "is required")
	}
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode health: %w", err)
	}
	_, err = db.write.ExecContext(ctx, db.d.q(`INSERT INTO reconciler_health (name, health) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET health = excluded.health`), h.Name, data)
	if err != nil {
		return fmt.Errorf("write health of %s: %w", h.Name, err)
	}
	return nil
}

// Health returns every reconciler's health, by name.
func (db *DB) Health(ctx context.Context) (_ []store.Health, err error) {
	defer db.markUnavailable(&err)
	rows, err := db.read.QueryContext(ctx, "SELECT health FROM reconciler_health ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("read health: %w", err)
	}
	defer rows.Close()
	var out []store.Health
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read health: %w", err)
		}
		var h store.Health
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, fmt.Errorf("decode health: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func rollback(db *DB, tx *sql.Tx) {
	// Rollback after Commit returns ErrTxDone, which is expected.
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		db.log.Error(err, "roll back transaction")
	}
}

// SetDataSourceStatus records what the fetcher of a data source found.
func (db *DB) SetDataSourceStatus(ctx context.Context, s store.DataSourceStatus) (err error) {
	defer db.markUnavailable(&err)
	if !store.ValidID(s.ID) {
		return store.Invalid(store.KindDataSource, s.ID, "id", "must be a UUID")
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the status of data source %s: %w", s.ID, err)
	}
	_, err = db.write.ExecContext(ctx, db.d.q(`INSERT INTO data_source_status (id, status) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status`), s.ID, data)
	if err != nil {
		return fmt.Errorf("write the status of data source %s: %w", s.ID, err)
	}
	return nil
}

// RemoveDataSourceStatus forgets the status of a data source whose records
// are gone.
func (db *DB) RemoveDataSourceStatus(ctx context.Context, id string) (err error) {
	defer db.markUnavailable(&err)
	if _, err := db.write.ExecContext(ctx, db.d.q("DELETE FROM data_source_status WHERE id = $1"), id); err != nil {
		return fmt.Errorf("remove the status of data source %s: %w", id, err)
	}
	return nil
}

// DataSourceStatuses returns the status of every data source, by id.
func (db *DB) DataSourceStatuses(ctx context.Context) (_ map[string]store.DataSourceStatus, err error) {
	defer db.markUnavailable(&err)
	rows, err := db.read.QueryContext(ctx, "SELECT status FROM data_source_status")
	if err != nil {
		return nil, fmt.Errorf("read the status of data sources: %w", err)
	}
	defer rows.Close()
	out := map[string]store.DataSourceStatus{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read the status of data sources: %w", err)
		}
		var s store.DataSourceStatus
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("decode the status of a data source: %w", err)
		}
		out[s.ID] = s
	}
	return out, rows.Err()
}

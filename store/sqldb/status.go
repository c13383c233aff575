package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	stmts, objects, err := db.statusStatements(statuses)
	if err != nil {
		return err
	}
	groups := db.d.groups(stmts)
	if db.d.WritableCTE && len(groups) == 1 {
		if err := db.d.runGroups(ctx, db.write, groups); err != nil {
			return fmt.Errorf("write %d statuses: %w", len(statuses), err)
		}
		db.StatusFeed.Publish(store.StatusEvent{Objects: objects})
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin status write: %w", err)
	}
	defer rollback(db, tx)
	if err := db.d.runGroups(ctx, tx, groups); err != nil {
		return fmt.Errorf("write %d statuses: %w", len(statuses), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit statuses: %w", err)
	}
	db.StatusFeed.Publish(store.StatusEvent{Objects: objects})
	return nil
}

// statusStatements returns the statements of a status write, and the
// objects whose status it changes.
func (db *DB) statusStatements(statuses []store.ObjectStatus) ([]Statement, []store.ObjectKey, error) {
	// The last status given for an object wins; a multi-row upsert may not
	// name one row twice.
	last := make(map[store.ObjectKey]int, len(statuses))
	for i, s := range statuses {
		last[store.ObjectKey{Kind: s.Kind, ID: s.ID}] = i
	}
	var upserts []store.ObjectStatus
	removed := map[store.Kind][]string{}
	var removedKinds []store.Kind
	for i, s := range statuses {
		if last[store.ObjectKey{Kind: s.Kind, ID: s.ID}] != i {
			continue
		}
		if s.State != "" {
			upserts = append(upserts, s)
			continue
		}
		if removed[s.Kind] == nil {
			removedKinds = append(removedKinds, s.Kind)
		}
		removed[s.Kind] = append(removed[s.Kind], s.ID)
	}
	var stmts []Statement
	for _, k := range removedKinds {
		ids, err := json.Marshal(removed[k])
		if err != nil {
			return nil, nil, fmt.Errorf("encode ids: %w", err)
		}
		stmts = append(stmts, func(arg func(any) string) string {
			return "DELETE FROM object_status WHERE kind = " + arg(string(k)) + " AND id IN (" + fmt.Sprintf(db.d.JSONTextArray, arg(string(ids))) + ")"
		})
	}
	switch {
	case len(upserts) == 0:
	case db.d.StatusRows != "":
		rows, err := statusRows(upserts)
		if err != nil {
			return nil, nil, err
		}
		stmts = append(stmts, func(arg func(any) string) string {
			return "INSERT INTO object_status (" + statusColumns + ") " + fmt.Sprintf(db.d.StatusRows, arg(rows)) + statusConflict
		})
	default:
		// Multi-row statements: a first pass over 100,000 routes writes
		// as many statuses, and one statement per row costs seconds.
		const rowsPerStatement = 500
		for start := 0; start < len(upserts); start += rowsPerStatement {
			stmts = append(stmts, upsertStatuses(upserts[start:min(start+rowsPerStatement, len(upserts))]))
		}
	}
	objects := make([]store.ObjectKey, 0, len(last))
	for key := range last {
		objects = append(objects, key)
	}
	if db.d.NotifyStatus != nil {
		notify, err := db.d.NotifyStatus(objects)
		if err != nil {
			return nil, nil, fmt.Errorf("notify statuses: %w", err)
		}
		stmts = append(stmts, notify...)
	}
	return stmts, objects, nil
}

// statusColumns are the columns of object_status in the order a status
// write gives them; statusConflict ends its INSERT.
const (
	statusColumns  = "kind, id, state, object_version, record_version, reason, field, updated_at"
	statusConflict = ` ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, object_version = excluded.object_version,
		record_version = excluded.record_version, reason = excluded.reason, field = excluded.field,
		updated_at = excluded.updated_at`
)

func upsertStatuses(batch []store.ObjectStatus) Statement {
	return func(arg func(any) string) string {
		var b strings.Builder
		b.WriteString("INSERT INTO object_status (" + statusColumns + ") VALUES ")
		for i, s := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + strings.Join([]string{arg(string(s.Kind)), arg(s.ID), arg(string(s.State)), arg(s.ObjectVersion),
				arg(int64(s.RecordVersion)), arg(s.Reason), arg(s.Field), arg(micros(s.UpdatedAt))}, ", ") + ")")
		}
		b.WriteString(statusConflict)
		return b.String()
	}
}

// statusRows encodes statuses as the JSON array Dialect.StatusRows reads:
// each an array of the columns statusColumns names, in that order.
func statusRows(statuses []store.ObjectStatus) (string, error) {
	rows := make([][8]any, len(statuses))
	for i, s := range statuses {
		rows[i] = [8]any{string(s.Kind), s.ID, string(s.State), s.ObjectVersion, int64(s.RecordVersion), s.Reason, s.Field, micros(s.UpdatedAt)}
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

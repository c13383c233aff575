package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// logActivity records a change of one object: prev is the object before
// (nil on create), next after (nil on delete).
func (w *writer) logActivity(ctx context.Context, actor store.Actor, action store.Action, prev, next store.Object) error {
	var before, after string
	var err error
	if prev != nil {
		if before, err = store.Snapshot(prev); err != nil {
			return err
		}
	}
	subject := next
	if next != nil {
		if after, err = store.Snapshot(next); err != nil {
			return err
		}
	} else {
		subject = prev
	}
	diff, added, removed := store.Diff(before, after)
	m := subject.GetObjectMeta()
	return w.appendActivity(ctx, &store.ActivityEntry{
		Version: w.version, Time: w.now, Subject: actor.Subject, Origin: actor.Origin, Action: action,
		EntityType: subject.Kind(), EntityID: m.ID, EntityName: entityName(subject), NamespaceID: m.NamespaceID,
		Snapshot: after, Diff: diff, Added: added, Removed: removed,
	})
}

// Note records an action on an entity of a databroker in the activity log,
// at the store's current version, which it does not advance.
func (db *DB) Note(ctx context.Context, actor store.Actor, n store.Note) error {
	if !actor.Origin.Valid() || actor.Origin == store.OriginSystem {
		return store.Invalid("", "", "origin", "%q is not one of api, ui, kubernetes, import", actor.Origin)
	}
	if !slices.Contains(store.Actions, n.Action) || !slices.Contains(store.EntityTypes, n.EntityType) || n.EntityID == "" {
		return fmt.Errorf("note %s of %s %q: not an action on an entity of the log", n.Action, n.EntityType, n.EntityID)
	}
	return db.inWriteTx(ctx, func(w *writer) error {
		return w.appendActivity(ctx, &store.ActivityEntry{
			Version: w.version, Time: w.now, Subject: actor.Subject, Origin: actor.Origin, Action: n.Action,
			EntityType: n.EntityType, EntityID: n.EntityID, EntityName: n.EntityName, NamespaceID: n.NamespaceID,
			Snapshot: n.Snapshot,
		})
	})
}

func entityName(obj store.Object) string {
	if p, ok := obj.(*store.NamespacePermission); ok {
		return fmt.Sprintf("%s %s: %s", p.SubjectType, p.SubjectID, p.Role)
	}
	if obj.Kind() == store.KindSettings {
		return "settings"
	}
	return obj.GetObjectMeta().Name
}

const activityColumns = "id, version, at, subject, origin, action, entity_type, entity_id, entity_name, namespace_id, snapshot, diff, added, removed, seq, prev_hash, hash"

func scanActivity(s scanner) (*store.ActivityEntry, error) {
	var e store.ActivityEntry
	var at int64
	var seq sql.NullInt64
	err := s.Scan(&e.ID, &e.Version, &at, &e.Subject, &e.Origin, &e.Action, &e.EntityType, &e.EntityID, &e.EntityName,
		&e.NamespaceID, &e.Snapshot, &e.Diff, &e.Added, &e.Removed, &seq, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	e.Time, e.Seq = fromMicros(at), seq.Int64
	return &e, nil
}

// Activity returns a page of the activity log.
func (db *DB) Activity(ctx context.Context, q store.ActivityQuery) (*store.ActivityPage, error) {
	if q.Offset < 0 {
		return nil, store.Invalid("", "", "offset", "must not be negative")
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var where []string
	var args params
	arg := args.add
	with := ""
	if q.NamespaceID != "" {
		if q.Recursive {
			// Deleted namespaces count too: their history stays queryable.
			with = `WITH RECURSIVE sub(id) AS (SELECT CAST(` + arg(q.NamespaceID) + ` AS TEXT)
				UNION SELECT o.id FROM objects o JOIN sub ON o.namespace_id = sub.id WHERE o.kind = 'namespace') `
			where = append(where, "namespace_id IN (SELECT id FROM sub)")
		} else {
			where = append(where, "namespace_id = "+arg(q.NamespaceID))
		}
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	eq("entity_type", string(q.EntityType))
	eq("entity_id", q.EntityID)
	eq("subject", q.Subject)
	eq("action", string(q.Action))
	if !q.Since.IsZero() {
		where = append(where, "at >= "+arg(micros(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, "at < "+arg(micros(q.Until)))
	}
	if q.Query != "" {
		p := arg("%" + escapeLike(strings.ToLower(q.Query)) + "%")
		where = append(where, "(lower(entity_name) LIKE "+p+` ESCAPE '\' OR lower(subject) LIKE `+p+` ESCAPE '\')`)
	}
	cond := " FROM activity"
	if len(where) > 0 {
		cond += " WHERE " + strings.Join(where, " AND ")
	}
	dir := "DESC"
	if q.Ascending {
		dir = "ASC"
	}
	page := &store.ActivityPage{}
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		page.TotalCount, page.More, err = db.count(ctx, tx, with, cond, args, store.PageQuery{Offset: q.Offset, Limit: q.Limit, CountUpTo: q.CountUpTo})
		if err != nil {
			return fmt.Errorf("count activity: %w", err)
		}
		rows, err := tx.QueryContext(ctx, db.d.q(with+"SELECT "+activityColumns+cond+" ORDER BY id "+dir+
			fmt.Sprintf(" LIMIT %d OFFSET %d", q.Limit, q.Offset)), args...)
		if err != nil {
			return fmt.Errorf("read activity: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanActivity(rows)
			if err != nil {
				return err
			}
			page.Entries = append(page.Entries, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// ActivityEntry returns one entry with its neighbours for the same entity.
func (db *DB) ActivityEntry(ctx context.Context, id int64) (*store.ActivityEntry, int64, int64, error) {
	var e *store.ActivityEntry
	var prev, next sql.NullInt64
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = scanActivity(tx.QueryRowContext(ctx, db.d.q("SELECT "+activityColumns+" FROM activity WHERE id = $1"), id))
		if errors.Is(err, sql.ErrNoRows) {
			return &store.Error{Code: store.CodeNotFound, Reason: fmt.Sprintf("activity entry %d not found", id)}
		}
		if err != nil {
			return fmt.Errorf("read activity entry %d: %w", id, err)
		}
		const neighbour = "SELECT %s(id) FROM activity WHERE entity_type = $1 AND entity_id = $2 AND id %s $3"
		if err := tx.QueryRowContext(ctx, db.d.q(fmt.Sprintf(neighbour, "max", "<")), string(e.EntityType), e.EntityID, id).Scan(&prev); err != nil {
			return fmt.Errorf("read previous activity entry: %w", err)
		}
		if err := tx.QueryRowContext(ctx, db.d.q(fmt.Sprintf(neighbour, "min", ">")), string(e.EntityType), e.EntityID, id).Scan(&next); err != nil {
			return fmt.Errorf("read next activity entry: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	return e, prev.Int64, next.Int64, nil
}

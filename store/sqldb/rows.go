package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// objectColumns are read by scanObject, in this order.
const objectColumns = "kind, id, namespace_id, name, origin, origin_ref, version, created_at, modified_at, deleted, data, secret IS NOT NULL"

// queryer is what both *sql.Tx and *sql.DB offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type scanner interface{ Scan(dest ...any) error }

// row is one row of the objects table.
type row struct {
	kind      store.Kind
	deleted   bool
	hasSecret bool
	meta      store.ObjectMeta
	data      []byte
}

// scanRow reads the objectColumns of a row, and any columns after them
// into extra.
func scanRow(s scanner, extra ...any) (*row, error) {
	var r row
	var created, modified int64
	err := s.Scan(append([]any{&r.kind, &r.meta.ID, &r.meta.NamespaceID, &r.meta.Name, &r.meta.Origin, &r.meta.OriginRef,
		&r.meta.Version, &created, &modified, &r.deleted, &r.data, &r.hasSecret}, extra...)...)
	if err != nil {
		return nil, err
	}
	r.meta.CreatedAt, r.meta.ModifiedAt = fromMicros(created), fromMicros(modified)
	r.meta.Origin = r.meta.Origin.Shared()
	return &r, nil
}

// object decodes the row into an object, opening the secrets of a route
// or settings spec with sealer; encoded keeps a route spec's encoding
// (store.OpenDataEncoded).
func (r *row) object(sealer *store.Sealer, encoded bool) (store.Object, error) {
	open := store.OpenData
	if encoded {
		open = store.OpenDataEncoded
	}
	obj, err := open(sealer, r.kind, r.meta.ID, r.data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.kind, r.meta.ID, err)
	}
	*obj.GetObjectMeta() = r.meta
	store.HideSecret(obj, r.hasSecret)
	return obj, nil
}

// getRow reads one row, live or deleted; nil if there is none.
func (db *DB) getRow(ctx context.Context, q queryer, k store.Kind, id string) (*row, error) {
	r, err := scanRow(q.QueryRowContext(ctx, db.d.q("SELECT "+objectColumns+" FROM objects WHERE kind = $1 AND id = $2"), string(k), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", k, id, err)
	}
	return r, nil
}

// getLive reads a live object or returns a not-found error.
func (db *DB) getLive(ctx context.Context, q queryer, k store.Kind, id string) (store.Object, error) {
	r, err := db.getRow(ctx, q, k, id)
	if err != nil {
		return nil, err
	}
	if r == nil || r.deleted {
		return nil, store.NotFound(k, id)
	}
	return r.object(db.sealer, false)
}

// readSecret opens the sealed secret of an object; nil if it has none.
func (db *DB) readSecret(ctx context.Context, q queryer, k store.Kind, id string) ([]byte, error) {
	var sealed []byte
	err := q.QueryRowContext(ctx, db.d.q("SELECT secret FROM objects WHERE kind = $1 AND id = $2"), string(k), id).Scan(&sealed)
	if err != nil {
		return nil, fmt.Errorf("read secret of %s %s: %w", k, id, err)
	}
	if sealed == nil {
		return nil, nil
	}
	plain, err := db.sealer.Open(sealed, store.SecretAD(k, id))
	if err != nil {
		return nil, fmt.Errorf("secret of %s %s: %w", k, id, err)
	}
	return plain, nil
}

// queryObjects runs a query selecting objectColumns and decodes every row;
// deleted rows come back as changes without an object.
func (db *DB) queryObjects(ctx context.Context, q queryer, query string, args ...any) ([]store.Change, error) {
	var out []store.Change
	err := db.eachObject(ctx, q, false, func(c store.Change) error {
		out = append(out, c)
		return nil
	}, query, args...)
	return out, err
}

// eachObject runs a query selecting objectColumns and hands each row to fn
// as it is read, decoded (route specs keeping their encoding if
// encodedSpecs); a deleted row is a change without an object. fn's error
// ends the read.
func (db *DB) eachObject(ctx context.Context, q queryer, encodedSpecs bool, fn func(store.Change) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, db.d.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return err
		}
		c := store.Change{Kind: r.kind, ID: r.meta.ID, Version: r.meta.Version}
		if !r.deleted {
			if c.Object, err = r.object(db.sealer, encodedSpecs); err != nil {
				return err
			}
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

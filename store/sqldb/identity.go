package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// Secret returns a console secret, creating it on first use.
func (db *DB) Secret(ctx context.Context, name string, generate func() ([]byte, error)) (_ []byte, err error) {
	defer db.markUnavailable(&err)
	if strings.TrimSpace(name) == "" {
		return nil, store.Invalid("", "", "name", "is required")
	}
	ad := "console-secret/" + name
	if v, err := db.readConsoleSecret(ctx, name, ad); err == nil || !errors.Is(err, sql.ErrNoRows) {
		return v, err
	}
	value, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	// The first writer wins; everyone reads what it wrote.
	if _, err := db.write.ExecContext(ctx, db.d.q("INSERT INTO console_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"),
		name, db.sealer.Seal(value, ad)); err != nil {
		return nil, fmt.Errorf("store secret %s: %w", name, err)
	}
	return db.readConsoleSecret(ctx, name, ad)
}

func (db *DB) readConsoleSecret(ctx context.Context, name, ad string) ([]byte, error) {
	var sealed []byte
	err := db.write.QueryRowContext(ctx, db.d.q("SELECT value FROM console_secret WHERE name = $1"), name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	v, err := db.sealer.Open(sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("open secret %s: %w", name, err)
	}
	return v, nil
}

// TouchServiceAccount records a service account's last token use.
func (db *DB) TouchServiceAccount(ctx context.Context, id string, t time.Time) (err error) {
	defer db.markUnavailable(&err)
	_, err = db.write.ExecContext(ctx, db.d.q(`INSERT INTO service_account_access (id, accessed_at) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET accessed_at = excluded.accessed_at
		WHERE excluded.accessed_at > service_account_access.accessed_at`), id, micros(t))
	if err != nil {
		return fmt.Errorf("record access of service account %s: %w", id, err)
	}
	return nil
}

// ServiceAccountAccess returns last token uses by account id.
func (db *DB) ServiceAccountAccess(ctx context.Context, ids ...string) (_ map[string]time.Time, err error) {
	defer db.markUnavailable(&err)
	query := "SELECT id, accessed_at FROM service_account_access"
	var args params
	if len(ids) > 0 {
		cond, err := db.inList("id", ids, &args)
		if err != nil {
			return nil, err
		}
		query += " WHERE " + cond
	}
	rows, err := db.read.QueryContext(ctx, db.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read service account access: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("read service account access: %w", err)
		}
		out[id] = fromMicros(at)
	}
	return out, rows.Err()
}

// RecordUser stores a user who signed in.
func (db *DB) RecordUser(ctx context.Context, u store.User) (err error) {
	defer db.markUnavailable(&err)
	if strings.TrimSpace(u.ID) == "" {
		return store.Invalid("", "", "id", "is required")
	}
	groups, err := json.Marshal(nonNil(u.Groups))
	if err != nil {
		return fmt.Errorf("encode groups: %w", err)
	}
	_, err = db.write.ExecContext(ctx, db.d.q(`INSERT INTO known_user (id, email, name, groups, seen_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, groups = excluded.groups, seen_at = excluded.seen_at`),
		u.ID, u.Email, u.Name, string(groups), micros(u.SeenAt))
	if err != nil {
		return fmt.Errorf("record user %s: %w", u.ID, err)
	}
	return nil
}

// Users returns a page of known users, by email then id.
func (db *DB) Users(ctx context.Context, q store.UserQuery) (_ []store.User, _ int, err error) {
	defer db.markUnavailable(&err)
	var where []string
	var args params
	arg := args.add
	if len(q.IDs) > 0 {
		cond, err := db.inList("id", q.IDs, &args)
		if err != nil {
			return nil, 0, err
		}
		where = append(where, cond)
	}
	if q.Query != "" {
		p := arg("%" + escapeLike(strings.ToLower(q.Query)) + "%")
		where = append(where, "(lower(id) LIKE "+p+` ESCAPE '\' OR lower(email) LIKE `+p+` ESCAPE '\' OR lower(name) LIKE `+p+` ESCAPE '\')`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.d.q("SELECT count(*) FROM known_user"+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	page := " ORDER BY email, id LIMIT " + arg(limit) + " OFFSET " + arg(max(q.Offset, 0))
	rows, err := db.read.QueryContext(ctx, db.d.q("SELECT id, email, name, groups, seen_at FROM known_user"+cond+page), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var u store.User
		var groups string
		var seen int64
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &groups, &seen); err != nil {
			return nil, 0, fmt.Errorf("read user: %w", err)
		}
		if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
			return nil, 0, fmt.Errorf("decode groups of user %s: %w", u.ID, err)
		}
		u.SeenAt = fromMicros(seen)
		out = append(out, u)
	}
	return out, total, rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

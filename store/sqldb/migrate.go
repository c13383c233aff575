package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/pressly/goose/v3"
)

// SchemaTable is where the migrations applied to a database are recorded.
const SchemaTable = "console_schema_version"

// Migrate applies the numbered SQL migrations in fsys that db has not seen
// yet and returns how many it applied. Backends pass a session locker where
// several processes may migrate at once.
func Migrate(ctx context.Context, dialect goose.Dialect, db *sql.DB, fsys fs.FS, log logr.Logger, opts ...goose.ProviderOption) (int, error) {
	opts = append(opts, goose.WithDisableGlobalRegistry(true), goose.WithTableName(SchemaTable))
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return 0, fmt.Errorf("prepare migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return len(results), nil
}

// Migration is one migration of the schema and whether a database has
// applied it.
type Migration struct {
	Version int64
	// File is the migration's file, empty for one the database has applied
	// but this console does not know: a newer console applied it.
	File      string
	Applied   bool
	AppliedAt time.Time
}

// Schema is what a database holds of the console's schema.
type Schema struct {
	// Migrations are this console's migrations and those the database has
	// applied, by version.
	Migrations []Migration
	// KeyCheck is the store's key check, sealed with its encryption key
	// (store.Sealer.CheckKey); nil before a console first opened it.
	KeyCheck []byte
}

// ReadSchema lists the migrations in fsys and those db has applied, and
// reads the key check, without changing anything. tableExists is a query
// that answers whether SchemaTable exists: on a database no console has
// migrated yet, or none at all (db nil), every migration is pending.
func ReadSchema(ctx context.Context, db *sql.DB, fsys fs.FS, tableExists string) (*Schema, error) {
	byVersion := map[int64]*Migration{}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		v, err := strconv.ParseInt(strings.SplitN(f, "_", 2)[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: no version number", f)
		}
		byVersion[v] = &Migration{Version: v, File: f}
	}
	var exists bool
	if db != nil {
		if err := db.QueryRowContext(ctx, tableExists).Scan(&exists); err != nil {
			return nil, fmt.Errorf("look for %s: %w", SchemaTable, err)
		}
	}
	out := &Schema{}
	if exists {
		if err := appliedMigrations(ctx, db, byVersion); err != nil {
			return nil, err
		}
		// The first migration makes console_meta; the first open seals
		// the check.
		if _, ok := byVersion[1]; ok && byVersion[1].Applied {
			if err := db.QueryRowContext(ctx, "SELECT key_check FROM console_meta WHERE id = 1").Scan(&out.KeyCheck); err != nil {
				return nil, fmt.Errorf("read key check: %w", err)
			}
		}
	}
	for _, m := range byVersion {
		out.Migrations = append(out.Migrations, *m)
	}
	slices.SortFunc(out.Migrations, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

func appliedMigrations(ctx context.Context, db *sql.DB, byVersion map[int64]*Migration) error {
	rows, err := db.QueryContext(ctx, "SELECT version_id, tstamp FROM "+SchemaTable+" WHERE version_id > 0 AND is_applied ORDER BY id")
	if err != nil {
		return fmt.Errorf("read %s: %w", SchemaTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		var at any
		if err := rows.Scan(&v, &at); err != nil {
			return fmt.Errorf("read %s: %w", SchemaTable, err)
		}
		m, ok := byVersion[v]
		if !ok {
			m = &Migration{Version: v}
			byVersion[v] = m
		}
		m.Applied, m.AppliedAt = true, appliedAt(at)
	}
	return rows.Err()
}

// appliedAt reads goose's timestamp column: a time from PostgreSQL, text
// in UTC from SQLite.
func appliedAt(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t.UTC()
	case string:
		if parsed, err := time.Parse(time.DateTime, t); err == nil {
			return parsed
		}
	}
	return time.Time{}
}

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

// MigrationStatus lists the migrations in fsys and those db has applied,
// by version, without changing anything. tableExists is a query that
// answers whether SchemaTable exists: on a database no console has
// migrated yet, or none at all (db nil), every migration is pending.
func MigrationStatus(ctx context.Context, db *sql.DB, fsys fs.FS, tableExists string) ([]Migration, error) {
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
	if exists {
		if err := appliedMigrations(ctx, db, byVersion); err != nil {
			return nil, err
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
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

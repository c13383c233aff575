package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/go-logr/logr"
	"github.com/pressly/goose/v3"
)

// Migrate applies the numbered SQL migrations in fsys that db has not seen
// yet and returns how many it applied. Backends pass a session locker where
// several processes may migrate at once.
func Migrate(ctx context.Context, dialect goose.Dialect, db *sql.DB, fsys fs.FS, log logr.Logger, opts ...goose.ProviderOption) (int, error) {
	opts = append(opts, goose.WithDisableGlobalRegistry(true), goose.WithTableName("console_schema_version"))
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

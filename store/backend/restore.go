package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
)

// Restore reads the backup r into the store opts names, which must be
// empty (a new embedded store or database is created and migrated first).
// The backup's secrets stay sealed with the key of the console that made
// it, so the store must seal with that key: Restore checks it before it
// opens anything, and never generates a key for a new embedded store.
func Restore(ctx context.Context, opts Options, r io.Reader) (*store.BackupSummary, error) {
	check, r, err := sqldb.BackupKeyCheck(r)
	if err != nil {
		return nil, err
	}
	if opts.DatabaseURL == "" && len(opts.EncryptionKey) == 0 {
		if opts.EncryptionKey, err = existingKey(opts); err != nil {
			return nil, err
		}
	}
	sealer, err := store.NewSealer(opts.EncryptionKey)
	if err != nil {
		return nil, err
	}
	if err := sealer.CheckKey(check); err != nil {
		return nil, fmt.Errorf("the backup's secrets are sealed with another database_encryption_key: restore with the key of the console that made it: %w", err)
	}
	st, err := Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	sum, err := st.Restore(ctx, r)
	return sum, errors.Join(err, st.Close())
}

// existingKey reads the key kept in the data directory of an embedded
// store; a missing one is an error, not a reason to make one.
func existingKey(opts Options) ([]byte, error) {
	if opts.DataDir == "" {
		return nil, errors.New("data_dir is required for the embedded store (or set database_url)")
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, KeyFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restore needs the database_encryption_key of the console that made the backup, and %s has none: set database_encryption_key, or copy that console's %s into it",
			opts.DataDir, KeyFile)
	}
	return keyFromDir(opts.DataDir, opts.Logger)
}

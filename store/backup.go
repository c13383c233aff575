package store

import (
	"context"
	"io"
	"time"
)

// Archiver copies a whole store to a file and back: a backup of desired
// state (with its tombstones, versions and ids), the secrets still sealed
// with the store's encryption key, the console's own secrets and what it
// knows of its callers, and optionally the activity log. Statuses are left
// out: the reconciler finds them again.
//
// A backup restores only into an empty store (one that holds nothing but
// the Global namespace it made itself) that seals with the same key, so
// that a restore never mixes two histories and never needs the secrets in
// clear.
type Archiver interface {
	// Backup writes one consistent snapshot of the store to w.
	Backup(ctx context.Context, w io.Writer, opts BackupOptions) (*BackupSummary, error)
	// Restore reads a backup from r into the store, in one transaction. It
	// refuses (CodeFailedPrecondition) a store that is not empty, and
	// ErrWrongEncryptionKey when the backup's secrets were sealed with
	// another key.
	Restore(ctx context.Context, r io.Reader) (*BackupSummary, error)
}

// BackupOptions say what a backup holds beside desired state.
type BackupOptions struct {
	// Activity includes the activity log.
	Activity bool
}

// BackupSummary describes a backup.
type BackupSummary struct {
	// Backend is the store the backup was made from: "postgres" or
	// "sqlite".
	Backend string
	// Schema is the last migration the store had applied.
	Schema int64
	// StoreVersion is the store's version when the backup was made.
	StoreVersion int64
	// Created is when the backup was made.
	Created time.Time
	// Activity says whether the backup holds the activity log.
	Activity bool
	// Rows counts the rows of each table in the backup.
	Rows map[string]int
}

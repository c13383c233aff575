// Package backend opens the store the configuration names: PostgreSQL when a
// database_url is set, otherwise the embedded single-file store in the data
// directory. It also owns the one default that makes the embedded store work
// with no configuration at all: an encryption key generated on first start
// and kept beside the database file.
//
// It must not hold store logic: that lives in the store packages.
package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

// File names inside the data directory.
const (
	DatabaseFile = "console.db"
	KeyFile      = "database_encryption_key"
)

// Options say which store to open.
type Options struct {
	// DatabaseURL selects PostgreSQL; empty selects the embedded store.
	DatabaseURL string
	// EncryptionKey is the decoded database_encryption_key. Required with
	// PostgreSQL; with the embedded store a missing key is generated once
	// and kept in DataDir.
	EncryptionKey []byte
	// DataDir holds the embedded store.
	DataDir string
	Logger  logr.Logger
}

// Open opens and migrates the store.
func Open(ctx context.Context, opts Options) (store.Store, error) {
	if opts.DatabaseURL != "" {
		if len(opts.EncryptionKey) == 0 {
			return nil, errors.New("database_encryption_key is required with database_url: it encrypts secrets at rest and must be the same on every replica")
		}
		opts.Logger.Info("opening PostgreSQL store")
		return postgres.Open(ctx, postgres.Options{URL: opts.DatabaseURL, EncryptionKey: opts.EncryptionKey, Logger: opts.Logger})
	}
	path, key, err := embedded(opts)
	if err != nil {
		return nil, err
	}
	opts.Logger.Info("opening embedded store", "path", path)
	return sqlite.Open(ctx, sqlite.Options{Path: path, EncryptionKey: key, Logger: opts.Logger})
}

// Migrate applies pending migrations and returns how many.
func Migrate(ctx context.Context, opts Options) (int, error) {
	if opts.DatabaseURL != "" {
		return postgres.Migrate(ctx, opts.DatabaseURL, opts.Logger)
	}
	path, _, err := embedded(opts)
	if err != nil {
		return 0, err
	}
	return sqlite.Migrate(ctx, path, opts.Logger)
}

// ReadSchema lists the migrations of this console and those the store has
// applied, and reads its key check, changing nothing (an embedded store
// that does not exist yet is not created).
func ReadSchema(ctx context.Context, opts Options) (*sqldb.Schema, error) {
	if opts.DatabaseURL != "" {
		return postgres.ReadSchema(ctx, opts.DatabaseURL, opts.Logger)
	}
	if opts.DataDir == "" {
		return nil, errors.New("data_dir is required for the embedded store (or set database_url)")
	}
	return sqlite.ReadSchema(ctx, filepath.Join(opts.DataDir, DatabaseFile), opts.Logger)
}

// Reach connects to the store opts names, changing nothing, and returns
// what it holds of the schema; an error says why it cannot be reached, or
// that the configured encryption key (for the embedded store, the one in
// data_dir) does not open its secrets.
func Reach(ctx context.Context, opts Options) (*sqldb.Schema, error) {
	schema, err := ReadSchema(ctx, opts)
	if err != nil || schema.KeyCheck == nil {
		return schema, err
	}
	key := opts.EncryptionKey
	if opts.DatabaseURL == "" && len(key) == 0 {
		if key, err = existingKey(opts); err != nil {
			return schema, err
		}
	}
	sealer, err := store.NewSealer(key)
	if err != nil {
		return schema, err
	}
	return schema, sealer.CheckKey(schema.KeyCheck)
}

// embedded prepares the data directory and returns the database path and key.
func embedded(opts Options) (string, []byte, error) {
	if opts.DataDir == "" {
		return "", nil, errors.New("data_dir is required for the embedded store (or set database_url)")
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return "", nil, fmt.Errorf("data_dir: %w", err)
	}
	key := opts.EncryptionKey
	if len(key) == 0 {
		var err error
		if key, err = keyFromDir(opts.DataDir, opts.Logger); err != nil {
			return "", nil, err
		}
	}
	return filepath.Join(opts.DataDir, DatabaseFile), key, nil
}

// keyFromDir reads the generated key of the data directory, generating it on
// first use.
func keyFromDir(dir string, log logr.Logger) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, store.EncryptionKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate database_encryption_key: %w", err)
		}
		if err := publishKey(dir, path, key); err == nil {
			log.Info("generated database_encryption_key for the embedded store; back it up with the database", "path", path)
			return key, nil
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != store.EncryptionKeySize {
		return nil, fmt.Errorf("%s: not the base64 of a %d-byte key", path, store.EncryptionKeySize)
	}
	return key, nil
}

// publishKey writes key to a temporary file and links it into place, so that
// of two processes starting at once on a new directory one wins and the other
// reads a complete key (fs.ErrExist tells it to).
func publishKey(dir, path string, key []byte) error {
	tmp, err := os.CreateTemp(dir, KeyFile+".*")
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // the temporary name is gone after a successful link, or garbage
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Close()); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return os.Link(tmp.Name(), path)
}

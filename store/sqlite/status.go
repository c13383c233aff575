package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
)

// staleWriterAge is how long a store may write no status before its row in
// status_writers is taken for that of a process that ended without closing
// the store, and removed.
const staleWriterAge = 24 * time.Hour

// notifyStatus returns the statement that counts a status write of this
// store as part of it, where stores of other processes polling the file
// find it.
func (s *Store) notifyStatus([]store.ObjectKey) ([]sqldb.Statement, error) {
	return []sqldb.Statement{func(arg func(any) string) string {
		return "INSERT INTO status_writers (writer, writes, updated_at) VALUES (" + arg(s.writer) + ", 1, " + arg(time.Now().UnixMicro()) +
			") ON CONFLICT (writer) DO UPDATE SET writes = writes + 1, updated_at = excluded.updated_at"
	}}, nil
}

// otherStatusWriters returns how many status writes each other store on the
// file has made.
func (s *Store) otherStatusWriters(ctx context.Context) (map[string]int64, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT writer, writes FROM status_writers WHERE writer <> ?1", s.writer)
	if err != nil {
		return nil, fmt.Errorf("read status writers: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var w string
		var n int64
		if err := rows.Scan(&w, &n); err != nil {
			return nil, fmt.Errorf("read status writers: %w", err)
		}
		out[w] = n
	}
	return out, rows.Err()
}

// statusWrittenSince reports whether another store wrote statuses between
// the two readings: a writer is new or its count moved. A writer gone from
// the table closed its store, which writes nothing.
func statusWrittenSince(before, now map[string]int64) bool {
	for w, n := range now {
		if before[w] != n {
			return true
		}
	}
	return false
}

// pruneStatusWriters removes the rows of stores not heard from for long.
func (s *Store) pruneStatusWriters(ctx context.Context) error {
	_, err := s.write.ExecContext(ctx, "DELETE FROM status_writers WHERE updated_at < ?1", time.Now().Add(-staleWriterAge).UnixMicro())
	if err != nil {
		return fmt.Errorf("prune status writers: %w", err)
	}
	return nil
}

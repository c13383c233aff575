package sqldb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// maxBackupLine bounds one line of a backup: a route or an activity entry
// of the largest size the store accepts, in base64, with room to spare.
const maxBackupLine = 64 << 20

// insertBatch is how many values one INSERT of a restore carries, under
// the parameter limits of both databases (SQLite 32,766, PostgreSQL 65,535).
const insertBatch = 8000

// Restore reads a backup into an empty store, in one transaction.
func (db *DB) Restore(ctx context.Context, r io.Reader) (*store.BackupSummary, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), maxBackupLine)
	h, err := readHeader(sc)
	if err != nil {
		return nil, err
	}
	if err := db.sealer.CheckKey(h.KeyCheck); err != nil {
		return nil, fmt.Errorf("the backup's secrets are sealed with another database_encryption_key: restore with the key of the console that made it: %w", err)
	}
	var rows map[string]int
	var resealed int
	err = db.inWriteTx(ctx, func(w *writer) error {
		if err := w.checkEmpty(ctx); err != nil {
			return err
		}
		if err := w.checkSchema(ctx, h); err != nil {
			return err
		}
		if err := w.clear(ctx); err != nil {
			return err
		}
		if rows, err = w.restoreRows(ctx, sc, h); err != nil {
			return err
		}
		if err := w.restoreChain(ctx, rows); err != nil {
			return err
		}
		if resealed, err = w.resealAll(ctx); err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(ctx, db.d.q("UPDATE console_meta SET refs_version = $1 WHERE id = 1"), h.RefsVersion); err != nil {
			return fmt.Errorf("restore references version: %w", err)
		}
		// A backup of an older console lacks references: they are recorded
		// now, as an open records them, and not left until the next open
		// (a write keeps the references it finds recorded).
		if err := w.upgradeRefs(ctx); err != nil {
			return err
		}
		if db.d.AfterRestore != "" {
			if _, err := w.tx.ExecContext(ctx, db.d.AfterRestore); err != nil {
				return fmt.Errorf("after restore: %w", err)
			}
		}
		// inWriteTx writes the version, tells readers and commits.
		w.version = h.StoreVersion
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := db.afterReseal(ctx, resealed); err != nil {
		return nil, err
	}
	return h.summary(rows), nil
}

// readHeader reads and checks the first line of a backup.
func readHeader(sc *bufio.Scanner) (*backupHeader, error) {
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read backup: %w", err)
		}
		return nil, errors.New("read backup: the file is empty")
	}
	var h backupHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != backupFormat {
		return nil, fmt.Errorf("read backup: line 1 is not the header of a %s file", backupFormat)
	}
	if h.FormatVersion != backupFormatVersion {
		return nil, fmt.Errorf("read backup: format version %d, this console reads %d: restore it with the console version that made it", h.FormatVersion, backupFormatVersion)
	}
	for _, t := range backupTables {
		got, ok := h.Tables[t.name]
		if !ok && t.activity {
			continue
		}
		if t.name == "activity" && slices.Equal(got, columnNames(table{columns: cols(legacyActivityColumns)})) {
			continue
		}
		if !slices.Equal(got, columnNames(t)) {
			return nil, fmt.Errorf("read backup: table %s has the columns %s, this console %s: restore it with the console version that made it",
				t.name, strings.Join(got, ", "), strings.Join(columnNames(t), ", "))
		}
	}
	return &h, nil
}

// checkEmpty refuses a store that holds anything but the Global namespace
// it made itself: restoring over other data would mix two histories.
func (w *writer) checkEmpty(ctx context.Context) error {
	var n int
	if err := w.tx.QueryRowContext(ctx, w.db.d.q("SELECT count(*) FROM objects WHERE NOT (kind = $1 AND id = $2 AND origin = $3)"),
		string(store.KindNamespace), store.GlobalNamespaceID, string(store.OriginSystem)).Scan(&n); err != nil {
		return fmt.Errorf("count objects: %w", err)
	}
	if n > 0 {
		return &store.Error{Code: store.CodeFailedPrecondition, Reason: fmt.Sprintf(
			"the store is not empty (%d objects or tombstones besides the Global namespace as it was made): a backup restores only into an empty store", n)}
	}
	return nil
}

// checkSchema refuses a backup of a newer schema than the store's: it may
// hold what this console does not know. The backends number their
// migrations apart, so only a backup of the same backend is compared; the
// columns of every table are compared for all (readHeader).
func (w *writer) checkSchema(ctx context.Context, h *backupHeader) error {
	if h.Backend != w.db.d.Name {
		return nil
	}
	var have int64
	if err := w.tx.QueryRowContext(ctx, "SELECT max(version_id) FROM "+SchemaTable).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if h.Schema > have {
		return &store.Error{Code: store.CodeFailedPrecondition, Reason: fmt.Sprintf(
			"the backup was made at schema version %d, newer than this console's %d: restore it with the console version that made it", h.Schema, have)}
	}
	return nil
}

// clear empties the tables a backup fills, and the statuses of what was
// there (the Global namespace of the empty store).
func (w *writer) clear(ctx context.Context) error {
	// The chain's head read when the transaction began goes with the
	// table; the restored one is read when next needed.
	w.chain = nil
	for _, t := range append(slices.Clone(backupTables), table{name: "object_status"}) {
		if _, err := w.tx.ExecContext(ctx, "DELETE FROM "+t.name); err != nil {
			return fmt.Errorf("clear %s: %w", t.name, err)
		}
	}
	return nil
}

// restoreRows inserts the rows of the backup up to its trailer, and
// returns how many of each table.
func (w *writer) restoreRows(ctx context.Context, sc *bufio.Scanner, h *backupHeader) (map[string]int, error) {
	tables := map[string]*inserter{}
	for _, t := range backupTables {
		if got, ok := h.Tables[t.name]; ok {
			if t.name == "activity" && len(got) < len(t.columns) {
				t.columns = cols(legacyActivityColumns)
			}
			tables[t.name] = &inserter{w: w, t: t}
		}
	}
	rows := map[string]int{}
	for lineNo := 2; sc.Scan(); lineNo++ {
		var l backupLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("read backup: line %d: %w", lineNo, err)
		}
		if l.End != nil {
			return rows, checkTrailer(ctx, l.End, rows, tables)
		}
		in, ok := tables[l.Table]
		if !ok {
			return nil, fmt.Errorf("read backup: line %d: table %q is not in the header", lineNo, l.Table)
		}
		if err := in.add(ctx, l.Row); err != nil {
			return nil, fmt.Errorf("read backup: line %d: %w", lineNo, err)
		}
		rows[l.Table]++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	return nil, errors.New("read backup: the file ends before its trailer: it is truncated")
}

// checkTrailer writes what is left of every table and checks the counts
// the trailer gives.
func checkTrailer(ctx context.Context, want, got map[string]int, tables map[string]*inserter) error {
	for name, in := range tables {
		if err := in.flush(ctx); err != nil {
			return err
		}
		if want[name] != got[name] {
			return fmt.Errorf("read backup: the trailer counts %d rows of %s, the file holds %d", want[name], name, got[name])
		}
	}
	return nil
}

// inserter inserts the rows of one table in batches.
type inserter struct {
	w    *writer
	t    table
	args []any
}

func (in *inserter) add(ctx context.Context, row []json.RawMessage) error {
	if len(row) != len(in.t.columns) {
		return fmt.Errorf("%s: %d values, want %d", in.t.name, len(row), len(in.t.columns))
	}
	for i, c := range in.t.columns {
		v, err := decodeValue(c.typ, row[i])
		if err != nil {
			return fmt.Errorf("%s.%s: %w", in.t.name, c.name, err)
		}
		in.args = append(in.args, v)
	}
	if len(in.args) >= insertBatch {
		return in.flush(ctx)
	}
	return nil
}

func decodeValue(t colType, raw json.RawMessage) (any, error) {
	var err error
	switch t {
	case colText:
		var s string
		err = json.Unmarshal(raw, &s)
		return s, err
	case colInt:
		var n int64
		err = json.Unmarshal(raw, &n)
		return n, err
	case colBool:
		var b bool
		err = json.Unmarshal(raw, &b)
		return b, err
	case colIntNull:
		var n *int64
		if err = json.Unmarshal(raw, &n); err != nil || n == nil {
			return nil, err
		}
		return *n, nil
	}
	var b []byte
	err = json.Unmarshal(raw, &b)
	return b, err
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.args) == 0 {
		return nil
	}
	n := len(in.t.columns)
	var b strings.Builder
	b.WriteString("INSERT INTO " + in.t.name + " (" + strings.Join(columnNames(in.t), ", ") + ") VALUES ")
	for r := range len(in.args) / n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + in.w.db.d.placeholders(r*n+1, n) + ")")
	}
	if _, err := in.w.tx.ExecContext(ctx, in.w.db.d.q(b.String()), in.args...); err != nil {
		return fmt.Errorf("restore %s: %w", in.t.name, err)
	}
	in.args = in.args[:0]
	return nil
}

// restoreChain gives a restored activity log the chain's head: the one
// backed up with it, or, for a backup without one (made without the log,
// or by a console that kept no chain), the start of a chain through which
// the restored entries are chained now, in the order of their ids.
func (w *writer) restoreChain(ctx context.Context, rows map[string]int) error {
	if rows["activity_chain"] > 0 {
		return nil
	}
	if _, err := w.tx.ExecContext(ctx, w.db.d.q(`INSERT INTO activity_chain (id, seq, entry_id, hash, legacy_through)
		SELECT 1, 0, 0, $1, COALESCE(max(id), 0) FROM activity`), store.GenesisHash); err != nil {
		return fmt.Errorf("restore the activity chain's head: %w", err)
	}
	return w.chainLegacy(ctx)
}

// BackupKeyCheck reads the header of the backup r and returns its key
// check, sealed with the key of the store it was made from, and a reader
// of the whole backup again: a caller learns whether it holds that key
// before it opens (or creates) the store to restore into.
func BackupKeyCheck(r io.Reader) ([]byte, io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("read backup: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(first))
	sc.Buffer(nil, maxBackupLine)
	h, err := readHeader(sc)
	if err != nil {
		return nil, nil, err
	}
	return h.KeyCheck, io.MultiReader(bytes.NewReader(first), br), nil
}

package sqldb

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// The backup format is JSON lines, the same for both backends: a header,
// one line per row of each table (values in the order the header lists the
// table's columns), and a trailer that counts the rows, so that a truncated
// file is told from a whole one. Rows are copied as they are stored: ids,
// versions, times, tombstones and sealed secrets unchanged.

// backupFormat names the format in the header; backupFormatVersion changes
// when a reader of the old format could not read the new one.
const (
	backupFormat        = "pomerium-console-backup"
	backupFormatVersion = 1
)

// colType is how a column's values travel in a backup line.
type colType int

const (
	colText    colType = iota // a JSON string
	colInt                    // a JSON number
	colBool                   // a JSON boolean
	colBytes                  // base64 in a JSON string, or null
	colIntNull                // a JSON number, or null
)

type column struct {
	name string
	typ  colType
}

// table is one table a backup copies.
type table struct {
	name    string
	columns []column
	// order makes the rows of a backup come out the same every time.
	order string
	// activity marks the activity log, which a backup may leave out.
	activity bool
}

func cols(spec string) []column {
	var out []column
	for _, c := range strings.Split(spec, ",") {
		name, typ, _ := strings.Cut(strings.TrimSpace(c), " ")
		out = append(out, column{name: name, typ: map[string]colType{"text": colText, "int": colInt, "bool": colBool, "bytes": colBytes, "intnull": colIntNull}[typ]})
	}
	return out
}

// backupTables are the tables of a backup, in the order they are written
// and restored. Statuses and the reconciler's health are observed, not
// kept: the reconciler finds them again.
var backupTables = []table{
	{name: "objects", order: "kind, id", columns: cols("kind text, id text, namespace_id text, name text, unique_key text, search text, " +
		"origin text, origin_ref text, version int, created_at int, modified_at int, deleted bool, data bytes, secret bytes")},
	{name: "object_refs", order: "from_kind, from_id, to_kind, to_id", columns: cols("from_kind text, from_id text, to_kind text, to_id text")},
	{name: "console_secret", order: "name", columns: cols("name text, value bytes")},
	{name: "service_account_access", order: "id", columns: cols("id text, accessed_at int")},
	{name: "known_user", order: "id", columns: cols("id text, email text, name text, groups text, seen_at int")},
	{name: "activity", order: "id", activity: true, columns: cols(legacyActivityColumns + ", seq intnull, prev_hash bytes, hash bytes")},
	// The chain's head travels with the log, so that a restored store
	// verifies as the one backed up did, entries missing from its end
	// included.
	{name: "activity_chain", order: "id", activity: true, columns: cols("id int, seq int, entry_id int, hash bytes, legacy_through int")},
}

// legacyActivityColumns are the activity log's columns in backups of
// consoles that kept no hash chain: a restore chains those entries as the
// first start after the upgrade would have.
const legacyActivityColumns = "id int, version int, at int, subject text, origin text, action text, " +
	"entity_type text, entity_id text, entity_name text, namespace_id text, snapshot text, diff text, added int, removed int"

// backupHeader is the first line of a backup.
type backupHeader struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Backend       string `json:"backend"`
	// Schema is the last migration the store had applied.
	Schema       int64     `json:"schema"`
	StoreVersion int64     `json:"store_version"`
	RefsVersion  int       `json:"refs_version"`
	Created      time.Time `json:"created"`
	Activity     bool      `json:"activity"`
	// KeyCheck is the store's key check, sealed with its key: a restore
	// opens it to learn that it seals with the same key.
	KeyCheck []byte `json:"key_check"`
	// Tables lists the columns of each table, in the order of the rows.
	Tables map[string][]string `json:"tables"`
}

// backupLine is one line of a backup after the header.
type backupLine struct {
	Table string            `json:"table,omitempty"`
	Row   []json.RawMessage `json:"row,omitempty"`
	// End is the trailer: the rows of each table.
	End map[string]int `json:"end,omitempty"`
}

// Backup writes one consistent snapshot of the store to w.
func (db *DB) Backup(ctx context.Context, w io.Writer, opts store.BackupOptions) (*store.BackupSummary, error) {
	out := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(out)
	h := backupHeader{Format: backupFormat, FormatVersion: backupFormatVersion, Backend: db.d.Name,
		Created: db.now().UTC(), Activity: opts.Activity, Tables: map[string][]string{}}
	rows := map[string]int{}
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT version, key_check, refs_version FROM console_meta WHERE id = 1").
			Scan(&h.StoreVersion, &h.KeyCheck, &h.RefsVersion); err != nil {
			return fmt.Errorf("read store version: %w", err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT max(version_id) FROM "+SchemaTable).Scan(&h.Schema); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		for _, t := range backupTables {
			if !t.activity || opts.Activity {
				h.Tables[t.name] = columnNames(t)
			}
		}
		if err := enc.Encode(h); err != nil {
			return err
		}
		for _, t := range backupTables {
			if t.activity && !opts.Activity {
				continue
			}
			n, err := backupTable(ctx, tx, enc, t)
			if err != nil {
				return fmt.Errorf("back up %s: %w", t.name, err)
			}
			rows[t.name] = n
		}
		return enc.Encode(backupLine{End: rows})
	})
	if err != nil {
		return nil, err
	}
	if err := out.Flush(); err != nil {
		return nil, err
	}
	return h.summary(rows), nil
}

func (h *backupHeader) summary(rows map[string]int) *store.BackupSummary {
	return &store.BackupSummary{Backend: h.Backend, Schema: h.Schema, StoreVersion: h.StoreVersion,
		Created: h.Created, Activity: h.Activity, Rows: rows}
}

func columnNames(t table) []string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return names
}

// backupTable writes every row of t as a line and returns how many.
func backupTable(ctx context.Context, tx *sql.Tx, enc *json.Encoder, t table) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(columnNames(t), ", ")+" FROM "+t.name+" ORDER BY "+t.order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]any, len(t.columns))
	for i, c := range t.columns {
		dest[i] = map[colType]any{colText: new(string), colInt: new(int64), colBool: new(bool), colBytes: new([]byte), colIntNull: new(*int64)}[c.typ]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		line := backupLine{Table: t.name, Row: make([]json.RawMessage, len(dest))}
		for i, d := range dest {
			v, err := json.Marshal(d)
			if err != nil {
				return n, err
			}
			line.Row[i] = v
		}
		if err := enc.Encode(line); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

package datasource

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// Table is what one fetch found: its rows, in the order fetched, and the
// names of the fields seen in them, sorted.
type Table struct {
	Rows   []Row
	Fields []string
}

// Row is one row of a fetch: its record id (the foreign key's value) and
// its fields.
type Row struct {
	ID   string
	Data *structpb.Struct
}

// parse reads a body as a JSON array of objects or as CSV with a header
// row: by its content type, or else by its first character. Rows without
// the foreign key, with an empty one, or with one a row before had, are
// refused, naming the row (counted from 1).
func parse(body []byte, contentType, foreignKey string, maxRecords int) (*Table, error) {
	var rows []map[string]any
	var err error
	if isJSON(body, contentType) {
		rows, err = parseJSON(body, maxRecords)
	} else {
		rows, err = parseCSV(body, maxRecords)
	}
	if err != nil {
		return nil, err
	}
	return table(rows, foreignKey)
}

// isJSON tells JSON from CSV: a JSON content type, or a body that starts
// with "[" when the type says neither.
func isJSON(body []byte, contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType) // an unreadable type is no type: sniff
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return true
	case mt == "text/csv" || mt == "application/csv":
		return false
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '['
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parseJSON reads a JSON array of objects, numbers kept as written.
func parseJSON(body []byte, maxRecords int) ([]map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, utf8BOM)))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, errors.New("parse JSON: the body is not a JSON array of objects")
	}
	var rows []map[string]any
	for dec.More() {
		if len(rows) == maxRecords {
			return nil, fmt.Errorf("parse JSON: more than %d rows", maxRecords)
		}
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("parse JSON: row %d: %w", len(rows)+1, err)
		}
		if row == nil {
			return nil, fmt.Errorf("parse JSON: row %d is not an object", len(rows)+1)
		}
		rows = append(rows, row)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("parse JSON: after row %d: %w", len(rows), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse JSON: something follows the array")
	}
	return rows, nil
}

// parseCSV reads CSV whose first row names the fields.
func parseCSV(body []byte, maxRecords int) ([]map[string]any, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, utf8BOM)))
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("parse CSV: the body is empty: want a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("parse CSV: header: %w", err)
	}
	seen := map[string]bool{}
	for _, h := range header {
		if seen[h] {
			return nil, fmt.Errorf("parse CSV: the header names field %q twice", h)
		}
		seen[h] = true
	}
	var rows []map[string]any
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse CSV: row %d: %w", len(rows)+1, err)
		}
		if len(rows) == maxRecords {
			return nil, fmt.Errorf("parse CSV: more than %d rows", maxRecords)
		}
		row := make(map[string]any, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

// table turns rows into records: the foreign key's value is the id, the
// row is the data.
func table(rows []map[string]any, foreignKey string) (*Table, error) {
	out := &Table{Rows: make([]Row, 0, len(rows))}
	firstRow := make(map[string]int, len(rows))
	fields := map[string]struct{}{}
	for i, row := range rows {
		n := i + 1
		id, err := recordID(row, foreignKey)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", n, err)
		}
		if first, dup := firstRow[id]; dup {
			return nil, fmt.Errorf("row %d: %s %q is row %d's too: the foreign key must be unique", n, foreignKey, id, first)
		}
		firstRow[id] = n
		data, err := structOf(row)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", n, err)
		}
		for k := range row {
			fields[k] = struct{}{}
		}
		out.Rows = append(out.Rows, Row{ID: id, Data: data})
	}
	out.Fields = slices.Sorted(maps.Keys(fields))
	return out, nil
}

// recordID is the foreign key's value of a row as a string.
func recordID(row map[string]any, foreignKey string) (string, error) {
	v, ok := row[foreignKey]
	if !ok || v == nil {
		return "", fmt.Errorf("has no %s (the foreign key)", foreignKey)
	}
	var id string
	switch v := v.(type) {
	case string:
		id = v
	case json.Number:
		id = v.String()
	case bool:
		id = fmt.Sprint(v)
	default:
		return "", fmt.Errorf("%s (the foreign key) is an object or a list: want a string or a number", foreignKey)
	}
	if id == "" {
		return "", fmt.Errorf("%s (the foreign key) is empty", foreignKey)
	}
	return id, nil
}

// structOf is a row as a google.protobuf.Struct; JSON numbers become
// doubles, as Struct holds numbers.
func structOf(row map[string]any) (*structpb.Struct, error) {
	v, err := structpb.NewValue(plain(row))
	if err != nil {
		return nil, err
	}
	return v.GetStructValue(), nil
}

// plain replaces the json.Numbers of a decoded value with float64s, which
// structpb takes.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String() // a number past float64's range keeps its digits as text
		}
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = plain(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = plain(e)
		}
		return v
	}
	return v
}

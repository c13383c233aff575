package activity

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Exports read the log in pages and stop at maxExport entries, the newest,
// so that one download cannot hold the store for long.
const (
	exportPage = 1000
	maxExport  = 100_000
)

// Headers of an export: how many entries the filters match, and whether
// the export stopped before the end (at maxExport).
const (
	headerTotal     = "X-Activity-Total-Count"
	headerTruncated = "X-Activity-Truncated"
)

var csvHeader = []string{"id", "time", "subject", "origin", "action", "entity_type", "entity_id", "entity_name", "namespace_id", "added", "removed"}

// exported is an entry as the JSON export writes it.
type exported struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Subject     string    `json:"subject"`
	Origin      string    `json:"origin"`
	Action      string    `json:"action"`
	EntityType  string    `json:"entity_type"`
	EntityID    string    `json:"entity_id"`
	EntityName  string    `json:"entity_name"`
	NamespaceID string    `json:"namespace_id"`
	Added       int       `json:"added"`
	Removed     int       `json:"removed"`
	// Snapshot is the entity as written, a JSON object; null for a delete.
	Snapshot json.RawMessage `json:"snapshot"`
	Diff     string          `json:"diff"`
}

// export streams the log the filters select, newest first, as CSV (the
// entries without their snapshots and diffs) or JSON (with them).
func (s *screen) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "json" {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "format", "%q is not one of csv, json", format))
		return
	}
	f := readFilters(r.URL.Query(), ui.ViewerFrom(ctx))
	if err := f.err(); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	q := f.query()
	// Pages are read by offset, newest first: entries written while the
	// export runs would shift them, so the export ends where it began.
	now := time.Now()
	if q.Until.IsZero() || q.Until.After(now) {
		q.Until = now
	}
	q.Limit = exportPage
	first, err := s.page(ctx, q)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="activity-%s.%s"`, now.UTC().Format("20060102T150405Z"), format))
	h.Set(headerTotal, strconv.Itoa(first.TotalCount))
	h.Set(headerTruncated, strconv.FormatBool(first.TotalCount > maxExport))
	write := s.writeCSV
	if format == "json" {
		write = s.writeJSON
	}
	if err := write(ctx, w, q, first); err != nil {
		// The status is sent: all that is left is to cut the download short
		// so that it does not pass for a whole one.
		s.d.Log.Error(err, "export activity", "format", format)
		panic(http.ErrAbortHandler)
	}
}

// page reads a page of the export, each entry as the viewer may see it.
func (s *screen) page(ctx context.Context, q store.ActivityQuery) (*store.ActivityPage, error) {
	return s.d.App.Activity(ctx, ui.ViewerFrom(ctx).Caller(), q)
}

// eachEntry calls emit for every entry of the export, reading page after page
// from the first one, until the last or maxExport entries.
func (s *screen) eachEntry(ctx context.Context, q store.ActivityQuery, first *store.ActivityPage, emit func(*store.ActivityEntry) error) error {
	page, n := first, 0
	for {
		for _, e := range page.Entries {
			if n == maxExport {
				return nil
			}
			if err := emit(e); err != nil {
				return err
			}
			n++
		}
		if len(page.Entries) < q.Limit || n == maxExport {
			return nil
		}
		q.Offset += q.Limit
		var err error
		if page, err = s.page(ctx, q); err != nil {
			return fmt.Errorf("read activity at %d: %w", q.Offset, err)
		}
	}
}

func (s *screen) writeCSV(ctx context.Context, w http.ResponseWriter, q store.ActivityQuery, first *store.ActivityPage) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	err := s.eachEntry(ctx, q, first, func(e *store.ActivityEntry) error {
		return cw.Write([]string{
			strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), inert(e.Subject), string(e.Origin), string(e.Action),
			string(e.EntityType), e.EntityID, inert(e.EntityName), e.NamespaceID, strconv.Itoa(e.Added), strconv.Itoa(e.Removed),
		})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes one object: the total the filters match, whether the
// export stopped short of it, and the entries.
func (s *screen) writeJSON(ctx context.Context, w http.ResponseWriter, q store.ActivityQuery, first *store.ActivityPage) error {
	w.Header().Set("Content-Type", "application/json")
	head := fmt.Sprintf(`{"total_count":%d,"truncated":%t,"limit":%d,"entries":[`, first.TotalCount, first.TotalCount > maxExport, maxExport)
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	sep := ""
	err := s.eachEntry(ctx, q, first, func(e *store.ActivityEntry) error {
		out := exported{
			ID: e.ID, Time: e.Time.UTC(), Subject: e.Subject, Origin: string(e.Origin), Action: string(e.Action),
			EntityType: string(e.EntityType), EntityID: e.EntityID, EntityName: e.EntityName, NamespaceID: e.NamespaceID,
			Added: e.Added, Removed: e.Removed, Diff: e.Diff,
		}
		if e.Snapshot != "" {
			out.Snapshot = json.RawMessage(e.Snapshot)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode activity entry %d: %w", e.ID, err)
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		sep = ","
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}

// inert keeps a text that others chose (a name, a subject) from running as
// a formula when the CSV is opened in a spreadsheet: one that starts like a
// formula gets a leading apostrophe, as OWASP advises. The JSON export has
// the texts as they are.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

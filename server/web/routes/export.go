package routes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

const (
	// exportPage is how many routes an export reads and writes at a time.
	exportPage = 500
	// maxExport bounds one export of a namespace; a larger one is refused
	// before anything is written, with the advice to narrow the search.
	maxExport = 100_000
	// maxSelected bounds a selection: the largest page of the list.
	maxSelected = ui.MaxLimit
)

// export answers GET /routes/export: the routes given by id, or every
// route of a namespace that matches the list's search, as a Pomerium
// config file (YAML, or JSON with format=json).
func (s *screen) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format, err := formatOf(q.Get("format"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if ids := q["id"]; len(ids) > 0 {
		s.exportSelected(w, r, ids, format)
		return
	}
	s.exportNamespace(w, r, filtersOf(q, ui.ViewerFrom(r.Context())), format)
}

func formatOf(s string) (string, error) {
	switch s {
	case "", "yaml":
		return "yaml", nil
	case "json":
		return "json", nil
	}
	return "", manage.Refuse(manage.CodeInvalid, "format", "%q is neither yaml nor json", s)
}

// exportNamespace streams the matching routes of a namespace page by page,
// so that memory stays bounded whatever the namespace holds. Routes written
// while the export runs may be missed or written twice, as with any paged
// read; the file says when it was made. A namespace the viewer may not see
// is not found, as the use cases answer.
func (s *screen) exportNamespace(w http.ResponseWriter, r *http.Request, f filters, format string) {
	v := ui.ViewerFrom(r.Context())
	e := newExporter(r.Context(), s.d.App, v)
	path := v.NamespacePath(f.Namespace)
	out := &exportFile{w: w, format: format, name: "routes-" + fileSafe(path), source: "namespace " + path}
	if f.Query != "" {
		out.source += fmt.Sprintf(", routes matching %q", f.Query)
	}
	for offset := 0; ; offset += exportPage {
		page, err := manage.Objects[*store.Route](r.Context(), s.d.App, v.Caller(), manage.ObjectQuery{ListQuery: manage.ListQuery{
			Namespace: f.Namespace, Query: f.Query, OrderBy: f.Order, Offset: offset, Limit: exportPage,
		}})
		if err != nil {
			s.failExport(w, r, out, fmt.Errorf("list the routes to export: %w", err))
			return
		}
		if offset == 0 && page.Total > maxExport {
			s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%d routes match, more than the %d one export may hold: narrow the search and export in parts", page.Total, maxExport))
			return
		}
		objs, err := e.routes(page)
		if err != nil {
			s.failExport(w, r, out, err)
			return
		}
		if err := out.write(objs); err != nil {
			s.failExport(w, r, out, err)
			return
		}
		if len(page.Items) < exportPage || offset+exportPage >= page.Total {
			break
		}
	}
	if err := out.end(); err != nil {
		s.failExport(w, r, out, err)
	}
}

// exportSelected writes the routes of ids, all or none: an id the viewer
// may not see is refused by name before anything is written.
func (s *screen) exportSelected(w http.ResponseWriter, r *http.Request, ids []string, format string) {
	ids = unique(ids)
	if len(ids) > maxSelected {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "id", "%d routes selected, at most %d may be exported at once", len(ids), maxSelected))
		return
	}
	v := ui.ViewerFrom(r.Context())
	found, missing, err := s.visibleRoutes(r, ids)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if len(missing) > 0 {
		s.t.Fail(w, r, manage.Refuse(manage.CodeNotFound, "id", "routes not found (deleted, or not yours to see): %s", strings.Join(missing, ", ")))
		return
	}
	objs, err := newExporter(r.Context(), s.d.App, v).routes(found)
	if err != nil {
		s.t.Fail(w, r, refused(err))
		return
	}
	out := &exportFile{w: w, format: format, name: "routes-selected", source: fmt.Sprintf("%d selected routes", len(found.Items))}
	if err := out.write(objs); err != nil {
		s.failExport(w, r, out, err)
		return
	}
	if err := out.end(); err != nil {
		s.failExport(w, r, out, err)
	}
}

// visibleRoutes reads the routes of ids, in name order, and lists the ids
// that are missing or that the viewer may not see.
func (s *screen) visibleRoutes(r *http.Request, ids []string) (found *manage.Page[*store.Route], missing []string, err error) {
	page, err := manage.Objects[*store.Route](r.Context(), s.d.App, ui.ViewerFrom(r.Context()).Caller(), manage.ObjectQuery{IDs: ids})
	if err != nil {
		return nil, nil, fmt.Errorf("read the selected routes: %w", err)
	}
	seen := make(map[string]bool, len(page.Items))
	for _, rt := range page.Items {
		seen[rt.ID] = true
	}
	for _, id := range ids {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	return page, missing, nil
}

// routes converts a page of routes, whose secrets the viewer may not read
// the use cases have cleared already (page.HiddenSecrets names them).
func (e *exporter) routes(page *manage.Page[*store.Route]) ([]*object, error) {
	out := make([]*object, 0, len(page.Items))
	for _, rt := range page.Items {
		obj, err := e.route(rt, page.HiddenSecrets[rt.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

// failExport answers an export that failed: with an error page while
// nothing is written, otherwise by aborting the response, so that the
// browser reports a failed download instead of keeping a file that lacks
// routes without saying so.
func (s *screen) failExport(w http.ResponseWriter, r *http.Request, out *exportFile, err error) {
	if !out.started {
		s.t.Fail(w, r, refused(err))
		return
	}
	s.d.Log.Error(err, "route export aborted", "file", out.name, "routes written", out.n)
	panic(http.ErrAbortHandler)
}

// exportRefusal is a reason an export cannot be made that the viewer can
// act on, unlike a failure to read the store.
type exportRefusal struct{ error }

func (e exportRefusal) Unwrap() error { return e.error }

// refused is err for an error page: a refusal is FailedPrecondition with
// its reason; anything else stays as it is (a refusal of the use cases, or
// a failure the console logs).
func refused(err error) error {
	var ref exportRefusal
	if errors.As(err, &ref) {
		return manage.Refuse(manage.CodeFailedPrecondition, "", "nothing was exported: %v", err)
	}
	return err
}

// exportFile writes a Pomerium config file with a routes list.
type exportFile struct {
	w            http.ResponseWriter
	format, name string
	// source says what was exported, for the YAML file's header.
	source  string
	started bool
	n       int
}

func (f *exportFile) start() error {
	f.started = true
	h := f.w.Header()
	ext, ctype := ".yaml", "application/yaml; charset=utf-8"
	if f.format == "json" {
		ext, ctype = ".json", "application/json"
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name + ext}))
	f.w.WriteHeader(http.StatusOK)
	if f.format == "json" {
		return nil
	}
	_, err := fmt.Fprintf(f.w, "# Routes exported from the Pomerium Console: %s, at %s.\n"+
		"# A route's attached policies are its inline policy; the enforced policies of\n"+
		"# namespaces are not part of it. Private keys are never exported.\n",
		f.source, time.Now().UTC().Format(time.RFC3339))
	return err
}

func (f *exportFile) write(objs []*object) error {
	if !f.started {
		if err := f.start(); err != nil {
			return err
		}
	}
	if len(objs) == 0 {
		return nil
	}
	var err error
	if f.format == "json" {
		err = f.writeJSON(objs)
	} else {
		err = f.writeYAML(objs)
	}
	if err != nil {
		return err
	}
	if err := http.NewResponseController(f.w).Flush(); err != nil {
		return fmt.Errorf("flush the export: %w", err)
	}
	return nil
}

func (f *exportFile) writeYAML(objs []*object) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(objs); err != nil {
		return fmt.Errorf("encode routes: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode routes: %w", err)
	}
	data := buf.Bytes()
	if f.n == 0 {
		if _, err := f.w.Write([]byte("routes:\n")); err != nil {
			return err
		}
	}
	f.n += len(objs)
	_, err := f.w.Write(data)
	return err
}

func (f *exportFile) writeJSON(objs []*object) error {
	for _, o := range objs {
		data, err := json.MarshalIndent(o, "    ", "  ")
		if err != nil {
			return fmt.Errorf("encode routes: %w", err)
		}
		sep := ",\n    "
		if f.n == 0 {
			sep = "{\n  \"routes\": [\n    "
		}
		f.n++
		if _, err := f.w.Write(append([]byte(sep), data...)); err != nil {
			return err
		}
	}
	return nil
}

func (f *exportFile) end() error {
	if !f.started {
		if err := f.start(); err != nil {
			return err
		}
	}
	var tail string
	switch {
	case f.format == "json" && f.n == 0:
		tail = "{\n  \"routes\": []\n}\n"
	case f.format == "json":
		tail = "\n  ]\n}\n"
	case f.n == 0:
		tail = "routes: []\n"
	}
	_, err := f.w.Write([]byte(tail))
	return err
}

// fileSafe makes a namespace path usable in a file name.
func fileSafe(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	for strings.Contains(out, "--") {
		out = strings.ReplaceAll(out, "--", "-")
	}
	return strings.Trim(out, "-")
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

package activity

import (
	"embed"
	"net/http"
	"net/url"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

// Register mounts the activity log screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"shared.html"}, "list.html", "entry.html", "compare.html")}
	mux.HandleFunc("GET /activity", s.list)
	mux.HandleFunc("GET /activity/export", s.export)
	mux.HandleFunc("GET /activity/compare", s.compare)
	mux.HandleFunc("GET /activity/{id}", s.entry)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// row is one entry as the list shows it.
type row struct {
	*store.ActivityEntry
	Kind          string
	NamespacePath string
}

type listData struct {
	Filters     *filters
	EntityTypes []entityType
	Namespaces  []ui.Namespace
	// All: the viewer may read the log of every namespace.
	All   bool
	Rows  []row
	Pager *ui.Pager
	// CSV and JSON export the filtered log.
	CSV, JSON string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	f := readFilters(r.URL.Query(), v)
	d := &listData{
		Filters: f, EntityTypes: entityTypes, Namespaces: v.Namespaces(),
		All: mayReadAll(v), Pager: ui.PagerFor(r.URL),
		CSV: exportURL(f, "csv"), JSON: exportURL(f, "json"),
	}
	p := ui.Page{Title: "Activity", Nav: ui.NavActivity, Data: d}
	if len(f.Errors) > 0 {
		p.Error = "Some filters are not valid; see below."
		s.t.Render(w, r, http.StatusBadRequest, "list.html", p)
		return
	}
	q := f.query()
	q.Offset, q.Limit, q.CountUpTo = d.Pager.Offset, d.Pager.Limit, ui.CountUpTo
	got, err := s.d.App.Activity(r.Context(), v.Caller(), q)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d.Pager.Total, d.Pager.More = got.TotalCount, got.More
	for _, e := range got.Entries {
		d.Rows = append(d.Rows, row{ActivityEntry: e, Kind: kindLabel(e.EntityType), NamespacePath: namespacePath(v, e.NamespaceID)})
	}
	s.t.Render(w, r, http.StatusOK, "list.html", p)
}

// namespacePath names the namespace of an entry: the entries of the Global
// namespace itself have none.
func namespacePath(v *ui.Viewer, id string) string {
	if id == "" {
		id = store.GlobalNamespaceID
	}
	return v.NamespacePath(id)
}

func exportURL(f *filters, format string) string {
	q := f.values()
	q.Set("format", format)
	return (&url.URL{Path: "/activity/export", RawQuery: q.Encode()}).String()
}

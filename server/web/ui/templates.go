package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

//go:embed layout.html error.html
var layoutFS embed.FS

// Script is a script the layout loads, with its Subresource Integrity hash.
type Script struct {
	Src, Integrity string
}

// Chrome is what the layout needs besides the page: the scripts to load
// (none when the pinned htmx is absent: pages then work as plain HTML).
type Chrome struct {
	Scripts []Script
	Log     logr.Logger
}

// Page is what a page template is executed with.
type Page struct {
	Title string
	// Nav names the navigation entry to mark as current.
	Nav    string
	Viewer *Viewer
	// Notice is a message from the previous request (after a redirect).
	Notice string
	// Error is shown above the content, e.g. why a form was refused.
	Error string
	Data  any
	// Chrome is set by Render.
	Chrome *Chrome
}

const errorPage = "error.html"

// Templates are the pages of one screen, each parsed with the layout.
type Templates struct {
	chrome *Chrome
	pages  map[string]*template.Template
}

// Parse parses each page file of fsys (a file defines "content" and any
// fragments it renders alone) together with the layout and the shared
// files.
func (c *Chrome) Parse(fsys fs.FS, shared []string, pages ...string) (*Templates, error) {
	base, err := template.New("layout.html").Funcs(Funcs()).ParseFS(layoutFS, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	if len(shared) > 0 {
		if base, err = base.ParseFS(fsys, shared...); err != nil {
			return nil, fmt.Errorf("parse %v: %w", shared, err)
		}
	}
	t := &Templates{chrome: c, pages: map[string]*template.Template{}}
	errPage, err := base.Clone()
	if err != nil {
		return nil, err
	}
	if t.pages[errorPage], err = errPage.ParseFS(layoutFS, errorPage); err != nil {
		return nil, fmt.Errorf("parse %s: %w", errorPage, err)
	}
	for _, name := range pages {
		clone, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t.pages[name], err = clone.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
	}
	return t, nil
}

// MustParse is Parse for templates embedded in the binary, where an error
// is a defect that every test run finds.
func (c *Chrome) MustParse(fsys fs.FS, shared []string, pages ...string) *Templates {
	t, err := c.Parse(fsys, shared, pages...)
	if err != nil {
		panic(err)
	}
	return t
}

// Render writes a whole page with the given status.
func (t *Templates) Render(w http.ResponseWriter, r *http.Request, status int, page string, p Page) {
	p.Chrome = t.chrome
	if p.Viewer == nil {
		p.Viewer = ViewerFrom(r.Context())
	}
	if p.Notice == "" {
		p.Notice = TakeNotice(w, r)
	}
	t.execute(w, status, page, "layout", p)
}

// Fragment writes one named template of a page alone, for a partial update.
func (t *Templates) Fragment(w http.ResponseWriter, r *http.Request, page, name string, p Page) {
	p.Chrome = t.chrome
	if p.Viewer == nil {
		p.Viewer = ViewerFrom(r.Context())
	}
	t.execute(w, http.StatusOK, page, name, p)
}

func (t *Templates) execute(w http.ResponseWriter, status int, page, name string, p Page) {
	tmpl, ok := t.pages[page]
	if !ok {
		t.chrome.Log.Error(fmt.Errorf("no page %q", page), "render")
		http.Error(w, "internal error; the console logged the details", http.StatusInternalServerError)
		return
	}
	// Render into a buffer: a failing template must not leave half a page
	// behind a 200.
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		t.chrome.Log.Error(err, "render", "page", page, "template", name)
		http.Error(w, "internal error; the console logged the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		t.chrome.Log.V(1).Info("write page", "error", err.Error())
	}
}

// Funcs are the functions every template may call.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"when":     When,
		"ago":      Ago,
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"contains": func(list []string, s string) bool { return containsString(list, s) },
		"dict":     dict,
		"navItems": func() []NavItem { return navItems },
	}
}

// When formats a time for a page: UTC, to the second; "never" for zero.
func When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Ago says how long ago t was, roughly: "12s ago", "3m ago", "5h ago", "2d ago".
func Ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dict builds a map from key/value pairs, to pass several values to a
// template: {{template "pager" dict "Pager" .Data.Pager "Label" "routes"}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

package web

import (
	"testing"
	"testing/fstest"
)

// TestAssetsWithoutHTMX: a build without `make assets` embeds no htmx; the
// pages then load the console's own script only, and work as plain HTML.
func TestAssetsWithoutHTMX(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"static/console.css": {Data: []byte("body{}")},
		"static/console.js":  {Data: []byte("(function(){})();")},
	}
	a, err := loadAssets(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if a.htmx || len(a.scripts) != 1 || a.scripts[0].Src != "/static/console.js" {
		t.Fatalf("without htmx: htmx %v, scripts %+v", a.htmx, a.scripts)
	}
	fsys["static/vendor/htmx.min.js"] = &fstest.MapFile{Data: []byte("var htmx={};")}
	if a, err = loadAssets(fsys); err != nil {
		t.Fatal(err)
	}
	if !a.htmx || len(a.scripts) != 2 || a.scripts[0].Src != "/static/vendor/htmx.min.js" {
		t.Fatalf("with htmx: htmx %v, scripts %+v (htmx must load first)", a.htmx, a.scripts)
	}
}

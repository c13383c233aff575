package web

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

//go:generate ../../hack/assets.sh

// static holds the console's own stylesheet and script, and vendor/ the
// pinned htmx that `make assets` fetches (absent from a checkout until then).
//
//go:embed static
var static embed.FS

// htmxPath is where `make assets` puts htmx inside static/.
const htmxPath = "static/vendor/htmx.min.js"

// assets are the embedded files with what pages need to load them safely.
type assets struct {
	files   fs.FS
	etags   map[string]string
	scripts []ui.Script
	// htmx says whether the pinned htmx is embedded.
	htmx bool
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{etags: map[string]string{}}
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	a.files = sub
	err = fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.etags["/"+p] = `"` + hex.EncodeToString(sum[:16]) + `"`
		if path.Ext(p) == ".js" && (p == htmxPath || p == "static/console.js") {
			a.htmx = a.htmx || p == htmxPath
			a.scripts = append(a.scripts, ui.Script{Src: "/" + p, Integrity: integrity(b)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// htmx first: console.js listens to its events.
	if len(a.scripts) == 2 && a.scripts[0].Src != "/"+htmxPath {
		a.scripts[0], a.scripts[1] = a.scripts[1], a.scripts[0]
	}
	return a, nil
}

// integrity is the Subresource Integrity value of a file.
func integrity(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// serve answers /static/...: revalidated by ETag, never stale after an
// upgrade.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	etag, ok := a.etags[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	http.StripPrefix("/static/", http.FileServerFS(a.files)).ServeHTTP(w, r)
}

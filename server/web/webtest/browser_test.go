package webtest

import (
	"strings"
	"testing"
)

// TestSourceLeavesOutWhatIsRandom: a page's source without its CSRF token
// (in the body's htmx headers and a form's field, as the layout writes
// them) and its integrity attributes, and with everything else.
func TestSourceLeavesOutWhatIsRandom(t *testing.T) {
	t.Parallel()
	const token = "Xy-team_4Q"
	page := `<html><head><script src="/static/htmx.min.js" integrity="sha384-ab&#43;team/cd=" crossorigin="anonymous"></script></head>` +
		`<body hx-headers='{&#34;X-CSRF-Token&#34;:&#34;` + token + `&#34;}'><main><p>route team</p>` +
		`<form><input type="hidden" name="csrf_token" value="` + token + `"></form><!-- teamwork --></main></body></html>`
	r := &Response{t: t, Body: []byte(page)}
	got := r.Source()
	for _, gone := range []string{token, "integrity", "sha384"} {
		if strings.Contains(got, gone) {
			t.Errorf("the source holds %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`<p>route team</p>`, `<!-- teamwork -->`, `src="/static/htmx.min.js" crossorigin="anonymous"`, `name="csrf_token" value=""`} {
		if !strings.Contains(got, kept) {
			t.Errorf("the source lacks %q:\n%s", kept, got)
		}
	}
}

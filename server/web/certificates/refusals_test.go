package certificates_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
)

// The filter swaps #results alone through htmx; the error page a refused
// filter used to get has no #results, so htmx swapped in nothing and the
// list vanished without a word.
func TestListRefusalShowsInsideTheResults(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	put(t, st, global, "app", selfSigned(t, "app.example.com", time.Now().Add(90*24*time.Hour)))
	b := e.Recovery("")
	for _, c := range []struct {
		namespace string
		status    int
		want      string
	}{
		{"not-an-id", http.StatusBadRequest, "must be the id of a namespace"},
		{uuid.NewString(), http.StatusNotFound, "could not be listed"},
	} {
		path := "/certificates?namespace=" + c.namespace
		for name, res := range map[string]*webtest.Response{"page": b.Get(path), "htmx": b.HTMX(http.MethodGet, path, nil)} {
			if res.Status != c.status {
				t.Errorf("%s %s: status %d, want %d", name, path, res.Status, c.status)
			}
			msg := res.Find(`#results [role="alert"][data-focus]`).Text()
			if !strings.Contains(msg, "could not be listed") || !strings.Contains(msg, c.want) {
				t.Errorf("%s %s: #results says %q, want %q", name, path, msg, c.want)
			}
			if strings.Contains(res.Find("#results").Text(), "No certificates") || res.Find("#filter-q").Length() != 1 {
				t.Errorf("%s %s: the refusal reads as an empty list, or the filters are gone", name, path)
			}
		}
	}
}

// The shared namespace select once took no aria attributes: its error was
// not tied to the field a screen reader is on.
func TestRefusedNamespaceIsTiedToItsError(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := e.Recovery("")
	if b.Get("/certificates/new").Find("select#namespace_id[aria-invalid], select#namespace_id[aria-describedby]").Length() != 0 {
		t.Errorf("the namespace select is marked invalid before any refusal")
	}
	p := selfSigned(t, "app.example.com", time.Now().Add(90*24*time.Hour))
	res := b.Post("/certificates/new", url.Values{"name": {"app"}, "namespace_id": {"nope"}, "certificate": {p.Cert}, "private_key": {p.Key}})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", res.Status, res.Find("main").Text())
	}
	sel := res.Find("select#namespace_id")
	if sel.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("the refused select lacks aria-invalid")
	}
	ref := sel.AttrOr("aria-describedby", "")
	if ref == "" || !strings.Contains(res.Find("#"+ref).Text(), "must be the id of a namespace") {
		t.Errorf("aria-describedby %q does not point at the error; page:\n%s", ref, res.Find("main").Text())
	}
}

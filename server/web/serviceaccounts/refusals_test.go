package serviceaccounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
)

// A huge offset once overflowed the pager's Offset+Limit to a negative
// number, and slicing the accounts with it panicked (a 500).
func TestListPastTheEndIsAnEmptyPage(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := admin(e)
	create(t, b, url.Values{"description": {"ci"}, "namespace_id": {global}, "expires": {"30d"}})
	for _, offset := range []string{"9223372036854775800", "2147483647", "5"} {
		res := b.Get("/service-accounts?offset=" + offset)
		if res.Status != http.StatusOK {
			t.Fatalf("offset %s: status %d: %s", offset, res.Status, res.Find("main").Text())
		}
		if n := res.Find("#results tbody tr").Length(); n != 0 {
			t.Errorf("offset %s: %d rows, want none", offset, n)
		}
		if prev := res.Find(`.pager a[rel="prev"]`).AttrOr("href", ""); prev != "/service-accounts" {
			t.Errorf("offset %s: previous page %q, want the first page", offset, prev)
		}
	}
}

// The filter swaps #results alone through htmx; a refusal shown in the
// layout's page error (or on the error page) never reached the screen.
func TestListRefusalShowsInsideTheResults(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := admin(e)
	for _, c := range []struct {
		namespace string
		status    int
		want      string
	}{
		{"not-an-id", http.StatusBadRequest, "must be the id of a namespace"},
		{uuid.NewString(), http.StatusNotFound, "could not be listed"},
	} {
		path := "/service-accounts?namespace=" + c.namespace
		for name, res := range map[string]*webtest.Response{"page": b.Get(path), "htmx": b.HTMX(http.MethodGet, path, nil)} {
			if res.Status != c.status {
				t.Errorf("%s %s: status %d, want %d", name, path, res.Status, c.status)
			}
			msg := res.Find(`#results [role="alert"][data-focus]`).Text()
			if !strings.Contains(msg, "could not be listed") || !strings.Contains(msg, c.want) {
				t.Errorf("%s %s: #results says %q, want %q", name, path, msg, c.want)
			}
			if strings.Contains(res.Find("#results").Text(), "No service accounts") {
				t.Errorf("%s %s: the refusal reads as an empty list", name, path)
			}
		}
	}
}

// The shared namespace select once took no aria attributes: its error was
// not tied to the field a screen reader is on.
func TestRefusedNamespaceIsTiedToItsError(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := admin(e)
	if b.Get("/service-accounts/new").Find("select#namespace_id[aria-invalid], select#namespace_id[aria-describedby]").Length() != 0 {
		t.Errorf("the namespace select is marked invalid before any refusal")
	}
	res := b.Post("/service-accounts/new", url.Values{"description": {"x"}, "namespace_id": {"nope"}, "expires": {"30d"}})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", res.Status, res.Find("main").Text())
	}
	sel := res.Find("select#namespace_id")
	if sel.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("the refused select lacks aria-invalid")
	}
	ref := sel.AttrOr("aria-describedby", "")
	if ref == "" || !strings.Contains(res.Find("#"+ref).Text(), "must be the id of a namespace") {
		t.Errorf("aria-describedby %q does not point at the error", ref)
	}
}

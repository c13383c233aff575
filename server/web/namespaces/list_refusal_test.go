package namespaces

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// unreadable is a store whose lists fail: the tree page reads nothing
// else. It stands in for a database that fails, which a test cannot make
// the real one do on demand; the tests of namespaces_test.go read the
// real store.
type unreadable struct{ store.Store }

func (unreadable) List(context.Context, store.Kind, store.ListQuery) (*store.ListResult, error) {
	return nil, errors.New("database on fire")
}

// The filter swaps #results alone through htmx, so a failure shown in the
// layout's page error, outside #results, never reached the screen: the
// old results stayed as if the filter had worked.
func TestListFailureShowsInsideTheResults(t *testing.T) {
	t.Parallel()
	log := testr.New(t)
	mux := http.NewServeMux()
	Register(mux, ui.Deps{App: manage.New(manage.Options{Store: unreadable{}, Logger: log}), Chrome: &ui.Chrome{Log: log}, Log: log})
	viewer := ui.NewViewer(&auth.Principal{Kind: auth.KindUser, Subject: "u@example.com"},
		manage.CallerOf(manage.Identity{Subject: "u@example.com"}, store.OriginUI, rbac.New(nil, nil)), "token", false)
	for _, htmx := range []bool{false, true} {
		req := httptest.NewRequestWithContext(ui.WithViewer(t.Context(), viewer), http.MethodGet, "/namespaces?q=team", nil)
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("htmx %v: status %d, want 500", htmx, rec.Code)
		}
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		msg := doc.Find(`#results [role="alert"][data-focus]`).Text()
		if !strings.Contains(msg, "could not be listed") || !strings.Contains(msg, "internal error") || strings.Contains(msg, "on fire") {
			t.Errorf("htmx %v: #results says %q, want the refusal without the console's insides", htmx, msg)
		}
		if doc.Find("#results .tree, #results .matches").Length() != 0 || doc.Find("#q").AttrOr("value", "") != "team" {
			t.Errorf("htmx %v: the page shows a tree or loses the filter:\n%s", htmx, doc.Find("main").Text())
		}
	}
}

package status_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestStatusShowsReconcilerHealthAndDatabroker(t *testing.T) {
	t.Parallel()
	st := webtest.Embedded(t)
	c := webtest.Databroker(t)
	info, err := c.ServerInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e := webtest.New(t, st, webtest.Options{Databroker: c})
	now := time.Now()
	if err := st.SetHealth(t.Context(), store.Health{
		Name: "default", Holder: "host-a/42", LastSuccess: now, SyncedVersion: 1,
		LastError: "put records: databroker refused", LastErrorAt: now.Add(-time.Minute), UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	page := e.Recovery("").Get("/status")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	text := page.Find("main").Text()
	for _, want := range []string{"host-a/42", "healthy", "put records: databroker refused", strconv.FormatUint(info.GetServerVersion(), 10)} {
		if !strings.Contains(text, want) {
			t.Errorf("status page lacks %q:\n%s", want, text)
		}
	}
}

func TestStatusNeedsGlobalViewer(t *testing.T) {
	t.Parallel()
	st := webtest.Embedded(t)
	e := webtest.New(t, st, webtest.Options{})
	page := e.User("nobody@example.com").Get("/status")
	if page.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403", page.Status)
	}
	if page.Find(".error").Length() == 0 {
		t.Fatalf("no explanation on the refused status page:\n%s", page.Text())
	}
}

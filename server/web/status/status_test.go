package status_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
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

func TestStatusShowsEveryCluster(t *testing.T) {
	t.Parallel()
	st := webtest.Embedded(t)
	e := webtest.New(t, st, webtest.Options{})
	sys, err := e.App.System(t.Context(), "test", store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"west", "east"} {
		cl, err := e.App.AddCluster(t.Context(), sys, manage.ClusterInput{Cluster: &store.Cluster{
			ObjectMeta: store.ObjectMeta{Name: name}, DatabrokerServiceURL: "https://databroker." + name + ".example.com", SharedSecret: make([]byte, 32),
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cl.ID)
	}
	now := time.Now()
	if err := st.SetHealth(t.Context(), store.Health{Name: ids[0], Holder: "host-b/7", LastSuccess: now.Add(-time.Hour),
		LastError: "put records: connection refused", LastErrorAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	page := e.Recovery("").Get("/status")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	var order []string
	for _, sec := range page.Find("section.cluster-status").EachIter() {
		order = append(order, strings.Fields(sec.Find("h2").Text())[1])
	}
	if got := strings.Join(order, ","); got != "default,east,west" {
		t.Errorf("sections %q, want the default cluster first, then by name", got)
	}
	west := page.Find(`section[data-cluster="` + ids[0] + `"]`).Text()
	for _, want := range []string{"failing", "host-b/7", "put records: connection refused", "https://databroker.west.example.com"} {
		if !strings.Contains(west, want) {
			t.Errorf("west's section lacks %q:\n%s", want, west)
		}
	}
	if east := page.Find(`section[data-cluster="` + ids[1] + `"]`).Text(); !strings.Contains(east, "No reconciler has reported for this cluster yet") {
		t.Errorf("east's section:\n%s", east)
	}
}

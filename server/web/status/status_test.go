package status_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
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

// TestStatusShowsActivityChain: the status page shows the position the
// activity log's chain was verified up to, and a broken chain as an error
// naming the entry.
func TestStatusShowsActivityChain(t *testing.T) {
	t.Parallel()
	st, path := storetest.EmbeddedFile(t, make([]byte, 32))
	watch := manage.NewChainWatch(manage.ChainWatchOptions{Store: st, Logger: logr.Discard()})
	e := webtest.New(t, st, webtest.Options{ActivityChain: watch})
	intact := watch.Verify(t.Context())
	if intact.Break != nil || intact.Verified.Seq == 0 {
		t.Fatalf("verify = %+v", intact)
	}
	page := e.Recovery("").Get("/status")
	text := page.Find(".activity-chain").Text()
	for _, want := range []string{"intact", "position " + strconv.FormatInt(intact.Verified.Seq, 10), intact.Verified.String()} {
		if !strings.Contains(text, want) {
			t.Errorf("status page's activity log section lacks %q:\n%s", want, text)
		}
	}
	if page.Find(".activity-chain .error").Length() != 0 {
		t.Errorf("an intact chain shown as an error:\n%s", text)
	}

	storetest.ExecFile(t, path, "UPDATE activity SET entity_name = $1 WHERE seq = 1", "forged")
	broken := watch.Verify(t.Context())
	if broken.Break == nil {
		t.Fatalf("verify after tampering = %+v, want a break", broken)
	}
	page = e.Recovery("").Get("/status")
	alert := page.Find(".activity-chain [role=alert]").Text()
	for _, want := range []string{"broken at position 1", "altered", "entry " + strconv.FormatInt(broken.Break.EntryID, 10)} {
		if !strings.Contains(alert, want) {
			t.Errorf("the broken chain's alert lacks %q: %q", want, alert)
		}
	}
}

// TestStatusWithoutActivityChain: a console that does not verify the
// chain says so rather than showing it intact.
func TestStatusWithoutActivityChain(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.Embedded(t), webtest.Options{})
	text := e.Recovery("").Get("/status").Find(".activity-chain").Text()
	if !strings.Contains(text, "does not verify") || strings.Contains(text, "intact") {
		t.Errorf("activity log section without a watch: %q", text)
	}
}

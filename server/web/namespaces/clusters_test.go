package namespaces_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// addCluster adds a cluster whose namespace goes under parent.
func addCluster(t *testing.T, e *webtest.Env, name, parent string) string {
	t.Helper()
	c, err := e.App.System(t.Context(), "test", store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := e.App.AddCluster(t.Context(), c, manage.ClusterInput{ParentNamespaceID: parent, Cluster: &store.Cluster{
		ObjectMeta: store.ObjectMeta{Name: name}, DatabrokerServiceURL: "https://databroker." + name + ".example.com", SharedSecret: make([]byte, 32),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return cl.ID
}

func TestTreeShowsClusters(t *testing.T) {
	t.Parallel()
	e := env(t)
	east := addCluster(t, e, "east", global)
	team := mkns(t, e.Store, east, "team")
	app := mkns(t, e.Store, team, "app")
	other := mkns(t, e.Store, global, "other")

	badge := func(page *webtest.Response, id string) string {
		return strings.TrimSpace(page.Find(`a[href="/namespaces/` + id + `"]`).First().Parent().ChildrenFiltered(".badge.cluster").Text())
	}
	page := admin(e).Get("/namespaces")
	wantStatus(t, page, http.StatusOK)
	for id, want := range map[string]string{east: "cluster east", team: "", app: "", other: "", global: ""} {
		if got := badge(page, id); got != want {
			t.Errorf("%s: cluster badge %q, want %q", id, got, want)
		}
	}
	// Below its cluster's namespace, on the page, a namespace needs no
	// badge; a viewer whose tree starts below it is told the cluster.
	e.Grant(store.RoleViewer, team, store.SubjectUser, "dev@example.com")
	dev := e.User("dev@example.com")
	page = dev.Get("/namespaces")
	wantStatus(t, page, http.StatusOK)
	if got := badge(page, team); got != "in cluster east" {
		t.Errorf("the viewer's root: cluster badge %q, want the cluster's name", got)
	}
	if got := badge(page, app); got != "" {
		t.Errorf("below the viewer's root: cluster badge %q", got)
	}
	if got := badge(dev.Get("/namespaces?q=app"), app); got != "in cluster east" {
		t.Errorf("a match: cluster badge %q, want the cluster's name", got)
	}
	detail := dev.Get("/namespaces/" + app)
	if got := strings.TrimSpace(detail.Find("#ns-cluster").Text()); got != "east" || detail.Find(`#ns-cluster a`).Length() != 0 {
		t.Errorf("the detail page's cluster %q (linked: %d)", got, detail.Find(`#ns-cluster a`).Length())
	}
	if got := admin(e).Get("/namespaces/" + other).Find("#ns-cluster a").Text(); got != store.DefaultClusterName {
		t.Errorf("a namespace of the default cluster names cluster %q", got)
	}
}

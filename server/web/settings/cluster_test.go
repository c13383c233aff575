package settings_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// addCluster adds a cluster for a test.
func (f *fixture) addCluster(name string) *manage.Cluster {
	f.t.Helper()
	sys, err := f.e.App.System(f.t.Context(), "test", store.OriginAPI)
	if err != nil {
		f.t.Fatal(err)
	}
	cl, err := f.e.App.AddCluster(f.t.Context(), sys, manage.ClusterInput{Cluster: &store.Cluster{
		ObjectMeta: store.ObjectMeta{Name: name}, DatabrokerServiceURL: "https://databroker." + name + ".example.com", SharedSecret: make([]byte, 32),
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	return cl
}

func TestSettingsOfACluster(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	east := f.addCluster("east")
	admin := f.e.Recovery("")

	page := admin.Get("/settings?section=logging&cluster=" + east.ID)
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := page.Find("#settings-cluster").Text(); !strings.Contains(got, "east") {
		t.Errorf("the page says it shows %q", got)
	}
	var offered []string
	for _, o := range page.Find("select#cluster option").EachIter() {
		offered = append(offered, o.Text()+"="+o.AttrOr("value", "?"))
	}
	if got := strings.Join(offered, ","); got != "default=,east="+east.ID {
		t.Errorf("the selector offers %s", got)
	}
	if got := page.Find("select#cluster option[selected]").Text(); got != "east" {
		t.Errorf("the selector shows %q", got)
	}
	if href := page.Find(`nav[aria-label="Settings sections"] a`).First().AttrOr("href", ""); !strings.Contains(href, "cluster="+east.ID) {
		t.Errorf("a section tab loses the cluster: %s", href)
	}
	form := formOf(t, page)
	if form.Get("cluster") != east.ID {
		t.Fatalf("the form saves to cluster %q", form.Get("cluster"))
	}
	form.Set("log_level", "warn")
	res := admin.Post("/settings", form)
	want := "/settings?" + url.Values{"cluster": {east.ID}, "section": {"logging"}}.Encode()
	if res.Status != http.StatusSeeOther || res.Location() != want {
		t.Fatalf("save: status %d, location %q: %s", res.Status, res.Location(), res.Text())
	}
	got, err := store.Get[*store.Settings](t.Context(), f.st, east.ID)
	if err != nil || got.Spec.GetLogLevel() != "warn" {
		t.Fatalf("east's settings: %v, %v", got, err)
	}
	if def := f.stored().Spec; def.GetLogLevel() != "debug" {
		t.Errorf("saving east's settings changed the default cluster's: %v", def)
	}
	if got := admin.Get("/settings?section=logging").Find("#s-log_level option[selected]").AttrOr("value", ""); got != "debug" {
		t.Errorf("the default cluster's page shows log level %q", got)
	}
}

func TestClusterSettingsNameTheClustersNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	east := f.addCluster("east")
	f.e.Grant(store.RoleViewer, east.ID, store.SubjectUser, "viewer@example.com")
	f.e.Grant(store.RoleAdmin, east.ID, store.SubjectUser, "admin@east.example.com")
	viewer := f.e.User("viewer@example.com")

	page := viewer.Get("/settings?section=logging&cluster=" + east.ID)
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := page.Find("#settings-permission").Text(); !strings.Contains(got, "namespace Global / east") || strings.Contains(got, "Global namespace") {
		t.Errorf("the permission hint says %q", got)
	}
	if page.Find(`form[method="post"]`).Length() != 0 {
		t.Errorf("a viewer gets the settings form")
	}
	res := viewer.Post("/settings", url.Values{"section": {"logging"}, "cluster": {east.ID}, "expected_version": {"0"}, "log_level": {"warn"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Find("#page-error").Text(), "east") {
		t.Errorf("a viewer's save: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := viewer.Get("/settings").Status; got != http.StatusForbidden {
		t.Errorf("east's viewer reads the default cluster's settings: status %d", got)
	}

	// An admin of east's namespace edits east's settings, not the default's.
	page = f.e.User("admin@east.example.com").Get("/settings?section=logging&cluster=" + east.ID)
	if page.Status != http.StatusOK || page.Find(`form[method="post"]`).Length() != 1 {
		t.Fatalf("east's admin: status %d, %d forms", page.Status, page.Find(`form[method="post"]`).Length())
	}
	if got := page.Find("select#cluster").Length(); got != 0 {
		t.Errorf("east's admin sees a selector with one cluster")
	}
}

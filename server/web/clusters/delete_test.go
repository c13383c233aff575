package clusters_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestDeleteConfirmsWhatItRemoves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cl := f.add("east", "")
	team := f.mkns(cl.ID, "team")
	f.mkns(team, "app")
	f.mkns(cl.ID, "web")
	put := func(o store.Object) {
		t.Helper()
		if _, err := store.Put(t.Context(), f.st, setupActor, o, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		put(&store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: team, Name: "r" + strconv.Itoa(i)},
			Spec: &configpb.Route{From: "https://r" + strconv.Itoa(i) + ".example.com", To: []string{"https://app.internal"}}})
	}
	put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: cl.ID, Name: "staff"}, PPL: "allow:\n  or:\n    - authenticated_user: true\n"})
	cert, key := webtest.SelfSigned(t, "east.example.com", time.Now().Add(90*24*time.Hour))
	put(&store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: team, Name: "tls"}, Certificate: cert, PrivateKey: key})
	put(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: cl.ID, Name: "deployer"}, Description: "deploys"})
	current := f.stored()["east"]

	admin := f.admin()
	page := admin.Get("/clusters/" + cl.ID + "/delete")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := strings.Join(strings.Fields(page.Find("#delete-contents").Text()), " "); !strings.Contains(got, "3 namespaces, 2 routes, 1 policy, 1 key pair, 1 service account") {
		t.Errorf("the confirmation says %q", got)
	}
	if got := page.Find("#delete-databroker").Text(); !strings.Contains(got, "records will then be removed from that cluster's databroker") || !strings.Contains(got, f.urls[cl.ID]) {
		t.Errorf("the confirmation does not say the databroker is cleared: %q", got)
	}
	if got := page.Find(`form[action="/clusters/`+cl.ID+`/delete"] input[name="expected_version"]`).AttrOr("value", ""); got != strconv.FormatInt(current.Version, 10) {
		t.Fatalf("the confirmation expects version %q, want %d", got, current.Version)
	}

	for _, c := range []struct {
		version string
		status  int
	}{{"", http.StatusBadRequest}, {strconv.FormatInt(current.Version-1, 10), http.StatusConflict}} {
		res := admin.Post("/clusters/"+cl.ID+"/delete", url.Values{"expected_version": {c.version}})
		if res.Status != c.status || res.Find("#page-error").Length() != 1 {
			t.Errorf("version %q: status %d, want %d: %s", c.version, res.Status, c.status, res.Find("main").Text())
		}
		if got := f.stored()["east"]; got == nil || got.Retiring {
			t.Fatalf("version %q: the cluster was deleted", c.version)
		}
	}

	res := admin.Post("/clusters/"+cl.ID+"/delete", url.Values{"expected_version": {strconv.FormatInt(current.Version, 10)}})
	if res.Status != http.StatusSeeOther || res.Location() != "/clusters" {
		t.Fatalf("delete: status %d, location %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	list := admin.Follow(res)
	if got := list.Find("#notice").Text(); !strings.Contains(got, `Cluster "east" deleted`) {
		t.Errorf("notice %q", got)
	}
	if got := list.Find(`tr[data-id="` + cl.ID + `"] td.health`).Text(); !strings.Contains(got, "deleting") {
		t.Errorf("the deleted cluster's row says %q, want deleting", got)
	}
	if got := f.stored()["east"]; got == nil || !got.Retiring {
		t.Errorf("the cluster is not retiring: %+v", got)
	}
	if got := admin.Get("/clusters/" + global + "/delete"); got.Status != http.StatusConflict {
		t.Errorf("the default cluster's confirmation: status %d, want 409", got.Status)
	}
}

package routes_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestListNamesEachRoutesCluster(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sys, err := f.e.App.System(t.Context(), "test", store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	east, err := f.e.App.AddCluster(t.Context(), sys, manage.ClusterInput{Cluster: &store.Cluster{
		ObjectMeta: store.ObjectMeta{Name: "east"}, DatabrokerServiceURL: "https://databroker.east.example.com", SharedSecret: make([]byte, 32),
	}})
	if err != nil {
		t.Fatal(err)
	}
	team := f.namespace(east.ID, "team")
	f.route(team, "in-east", "https://east.example.com")
	f.route(store.GlobalNamespaceID, "in-default", "https://default.example.com")
	b := f.e.Recovery("")
	for ns, want := range map[string]string{team: "in-east=east", store.GlobalNamespaceID: "in-default=default"} {
		page := b.Get("/routes?namespace=" + ns)
		wantStatus(t, page, http.StatusOK)
		if page.Find(`thead th:contains("Cluster")`).Length() != 1 {
			t.Errorf("%s: no Cluster column", ns)
		}
		var got []string
		for _, row := range page.Find("#results tbody tr").EachIter() {
			got = append(got, row.Find("th[scope=row] a").Text()+"="+row.Find("td.cluster").Text())
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: rows %v, want %s", ns, got, want)
		}
	}
}

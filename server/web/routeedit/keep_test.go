package routeedit_test

import (
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestSaveKeepsFieldsTheEditorHasNoPlaceFor saves every tab of a route
// that holds settings the editor has no field for (cors_allow_preflight,
// outlier_detection), written straight to the store, renaming it on the
// general tab: the route keeps them after every save. The editor never
// showed them, so a save cannot have meant to clear them.
func TestSaveKeepsFieldsTheEditorHasNoPlaceFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	outlier := &configpb.OutlierDetection{Consecutive_5Xx: wrapperspb.UInt32(7), Interval: durationpb.New(10e9)}
	r := put(t, f.env.Store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "app"},
		Spec: &configpb.Route{From: "https://app.example.com", To: []string{"http://app.internal"},
			CorsAllowPreflight: true, OutlierDetection: outlier},
	})
	b := f.env.User(managerEmail)
	for _, tab := range []string{"general", "matchers", "timeouts", "headers", "tls", "lb"} {
		form := editForm(t, b, r.ID, tab)
		if tab == "general" {
			form.Set("name", "renamed")
		}
		res := b.Post("/routes/"+r.ID, form)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("save tab %s: status %d: %s", tab, res.Status, res.Find("main").Text())
		}
		got, err := store.Get[*store.Route](t.Context(), f.env.Store, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "renamed" {
			t.Errorf("after saving tab %s the route is named %q, want renamed", tab, got.Name)
		}
		if !got.Spec.GetCorsAllowPreflight() || !proto.Equal(got.Spec.GetOutlierDetection(), outlier) {
			t.Errorf("saving tab %s lost what the editor does not show: cors_allow_preflight %v, outlier_detection %v",
				tab, got.Spec.GetCorsAllowPreflight(), got.Spec.GetOutlierDetection())
		}
	}
}

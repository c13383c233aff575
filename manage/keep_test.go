package manage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// throughFrom is a writer whose message holds from, to and prefix only.
func throughFrom(s *configpb.Route) (*configpb.Route, error) {
	return &configpb.Route{From: s.From, To: s.To, Prefix: s.Prefix}, nil
}

// TestKeepUnexpressed: an update keeps the stored fields the writer cannot
// express, clears those it can and leaves out, and shares no memory with
// the stored spec.
func TestKeepUnexpressed(t *testing.T) {
	t.Parallel()
	stored := &configpb.Route{
		From: "https://old.example.com", Prefix: "/old", CorsAllowPreflight: true,
		OutlierDetection: &configpb.OutlierDetection{SplitExternalLocalOriginErrors: true},
	}
	spec := &configpb.Route{From: "https://new.example.com"}
	keepUnexpressed(spec, stored, throughOf(throughFrom, stored))
	want := &configpb.Route{
		From: "https://new.example.com", CorsAllowPreflight: true,
		OutlierDetection: &configpb.OutlierDetection{SplitExternalLocalOriginErrors: true},
	}
	if diff := cmp.Diff(want, spec, protocmp.Transform()); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	stored.OutlierDetection.SplitExternalLocalOriginErrors = false
	if !spec.OutlierDetection.SplitExternalLocalOriginErrors {
		t.Error("the kept field shares memory with the stored spec")
	}
}

// TestSetRouteKeepsWhatTheWriterCannotExpress: renaming a route through a
// writer that cannot express cors_allow_preflight and outlier_detection
// keeps them.
func TestSetRouteKeepsWhatTheWriterCannotExpress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.route(store.GlobalNamespaceID, "app", &configpb.Route{
		CorsAllowPreflight: true, OutlierDetection: &configpb.OutlierDetection{SplitExternalLocalOriginErrors: true},
	})
	in := store.Clone(r)
	in.Name = "renamed"
	in.Spec, _ = throughFrom(r.Spec)
	got, err := f.app.SetRoute(f.ctx, f.admin(), RouteInput{Route: in, Through: throughFrom})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed" || !got.Spec.GetCorsAllowPreflight() || !got.Spec.GetOutlierDetection().GetSplitExternalLocalOriginErrors() {
		t.Fatalf("renamed route: %v", got.Route)
	}
}

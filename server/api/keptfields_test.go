package api_test

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRenameKeepsFieldsTheAPICannotExpress: a route that holds fields the
// dashboard's Route has no place for (cors_allow_preflight and
// outlier_detection, written by an import or a Route object; the access
// flags that predate PPL) keeps them when a client reads it, renames it
// and writes it back, with SetRoute and with SetRoutes.
func TestRenameKeepsFieldsTheAPICannotExpress(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.routeAPI(transport, e.adminToken())
			for i, set := range []func(*pb.Route) error{
				func(r *pb.Route) error { _, err := api.set(e.ctx, &pb.SetRouteRequest{Route: r}); return err },
				func(r *pb.Route) error {
					_, err := api.setMany(e.ctx, &pb.SetRoutesRequest{Routes: []*pb.Route{r}})
					return err
				},
			} {
				stored, err := store.Put(e.ctx, e.store, store.Actor{Subject: "import", Origin: store.OriginImport}, &store.Route{
					ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "app"},
					Spec: &configpb.Route{
						From: "https://app.example.com", To: []string{"https://upstream.internal"},
						CorsAllowPreflight: true, AllowAnyAuthenticatedUser: true,
						OutlierDetection: &configpb.OutlierDetection{SplitExternalLocalOriginErrors: true},
					},
				}, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := api.get(e.ctx, &pb.GetRouteRequest{Id: stored.ID})
				if err != nil {
					t.Fatal(err)
				}
				got.Route.Name = "renamed"
				if err := set(got.Route); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				after, err := store.Get[*store.Route](e.ctx, e.store, stored.ID)
				if err != nil {
					t.Fatal(err)
				}
				s := after.Spec
				if after.Name != "renamed" || !s.GetCorsAllowPreflight() || !s.GetOutlierDetection().GetSplitExternalLocalOriginErrors() || !s.GetAllowAnyAuthenticatedUser() {
					t.Fatalf("write %d: the route lost fields the API cannot express: %s %v", i, after.Name, s)
				}
				if err := store.Delete(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, store.DeleteOp{Kind: store.KindRoute, ID: stored.ID}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

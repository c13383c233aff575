package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestPomeriumServesEachCluster runs serve with its default cluster on
// Pomerium's databroker and adds a cluster on a second Pomerium databroker
// of its own: routes written through the API and imported with
// --cluster, and the cluster's settings, land in the databroker of their
// cluster only, and Pomerium's own config builder serves each cluster's
// routes there, each with the Global guard-rail, and accepts the
// cluster's settings.
func TestPomeriumServesEachCluster(t *testing.T) {
	t.Parallel()
	c, second, eu := twoClusters(t)
	s := newScene(t, c)
	guard := s.policy(store.GlobalNamespaceID, "No TRACE", denyTrace, true)
	team := s.namespace(eu, "team")
	open := s.policy(team, "Open", sandboxOpen, false)
	// The same host in both clusters: two Pomeriums, no conflict.
	home := s.routeID(&pb.Route{NamespaceId: store.GlobalNamespaceID, Name: "home", From: "https://app.corp.example.com", To: []string{"http://home.internal"}})
	away := s.routeID(&pb.Route{NamespaceId: team, Name: "away", From: "https://app.corp.example.com", To: []string{"http://away.internal"}, PolicyIds: []string{open}})
	if _, err := s.settings.SetSettings(s.ctx, &pb.SetSettingsRequest{Settings: &pb.Settings{ClusterId: &eu, LogLevel: new("debug")}}); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "eu.yaml")
	if err := os.WriteFile(config, []byte("routes:\n- from: https://imported.corp.example.com\n  to: http://imported.internal\n  allow_public_unauthenticated_access: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.run("import", "--cluster", "eu", config)

	routesOf := func(d *pomeriumtest.Databroker) map[string]*dbpb.Record {
		out := map[string]*dbpb.Record{}
		if _, err := d.Dial(t).SyncLatest(s.ctx, compile.RecordTypeRoute, func(r *dbpb.Record) { out[r.Id] = r }); err != nil {
			t.Logf("sync latest: %v", err)
		}
		return out
	}
	wait.Until(t, "each cluster's routes in its databroker", time.Minute, func() (bool, string) {
		h, a := routesOf(pomerium), routesOf(second)
		_, homeHere := h[home]
		_, awayThere := a[away]
		_, awayHere := h[away]
		_, homeThere := a[home]
		return homeHere && awayThere && len(a) == 2 && !awayHere && !homeThere, fmt.Sprintf("default %d routes, eu %d", len(h), len(a))
	})
	for name, want := range map[string]struct {
		d      *pomeriumtest.Databroker
		routes int
		// policies of the route written through the API
		route    string
		policies []string
	}{
		"default": {pomerium, 1, home, []string{guard}},
		"eu":      {second, 2, away, sortedIDs(guard, open)},
	} {
		report, err := want.d.Check(s.ctx, pomeriumtest.CheckOptions{Settle: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if report.ExitCode != 0 || !report.Summary.LastBuildOK || report.Summary.SettingsError != "" || report.Summary.ServedRoutes != want.routes {
			t.Errorf("%s: configcheck exited %d with %s, want %d routes served; stderr:\n%s", name, report.ExitCode, report.Summary.Raw, want.routes, report.Stderr)
		}
		found := false
		for _, r := range report.Routes {
			if r.ID != want.route {
				continue
			}
			found = true
			var got []string
			for _, p := range r.Policies {
				got = append(got, p.ID)
			}
			slices.Sort(got)
			if !r.Served || !slices.Equal(got, want.policies) {
				t.Errorf("%s: route %s served %v with policies %v, want %v", name, r.From, r.Served, got, want.policies)
			}
		}
		if !found {
			t.Errorf("%s: configcheck does not report route %s", name, want.route)
		}
	}
	// The cluster's settings are in its databroker, and only there.
	settingsOf := func(d *pomeriumtest.Databroker) []string {
		var ids []string
		if _, err := d.Dial(t).SyncLatest(s.ctx, compile.RecordTypeSettings, func(r *dbpb.Record) { ids = append(ids, r.Id) }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := settingsOf(second); !slices.Equal(got, []string{eu}) {
		t.Errorf("settings in eu's databroker: %v, want its own", got)
	}
	if got := settingsOf(pomerium); slices.Contains(got, eu) {
		t.Errorf("eu's settings in the default cluster's databroker: %v", got)
	}
}

// twoClusters runs serve with its default cluster on the package's
// Pomerium databroker, emptied for the test, and adds the cluster "eu" on a
// second Pomerium databroker of its own; it returns the console, that
// databroker and eu's id.
func twoClusters(t *testing.T) (*console, *pomeriumtest.Databroker, string) {
	t.Helper()
	pomerium.Exclusive(t)
	second, err := pomeriumtest.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := second.Stop(); err != nil {
			t.Error(err)
		}
	})
	c := startConsole(t, embeddedStore)
	added, err := pb.NewClustersServiceClient(c.grpcConn(c.adminToken())).AddCluster(t.Context(), &pb.AddClusterRequest{Cluster: &pb.Cluster{
		Name: "eu", DatabrokerServiceUrl: second.URL(), SharedSecret: []byte(second.SharedSecretBase64()),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c, second, added.Cluster.Id
}

func sortedIDs(ids ...string) []string { slices.Sort(ids); return ids }

// routeID writes a route through the dashboard API and returns its id.
func (s *scene) routeID(r *pb.Route) string {
	s.t.Helper()
	res, err := s.routes.SetRoute(s.ctx, &pb.SetRouteRequest{Route: r})
	if err != nil {
		s.t.Fatalf("create route %s: %v", r.GetName(), err)
	}
	return res.GetRoute().GetId()
}

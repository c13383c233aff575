package api_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// LoadRoutes refuses a route compilation would refuse, naming it, instead
// of writing it to sit in sync error; with several refused, it names each.
func TestLoadRoutesRefusesWhatCompileRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, transport := range transports {
		api := e.routeAPI(transport, e.adminToken())
		_, err := api.load(e.ctx, &pb.LoadRoutesRequest{Name: "config.yaml", Contents: []byte(
			"routes:\n- {from: https://ok.example.com, to: http://ok}\n- {from: 'ftp://files.example.com', to: http://files}\n")})
		wantCode(t, transport+" ftp", err, connect.CodeInvalidArgument,
			`routes[1] (from ftp://files.example.com): from: scheme "ftp" is not one of`)

		_, err = api.load(e.ctx, &pb.LoadRoutesRequest{Name: "config.yaml", Contents: []byte(
			"routes:\n- {from: 'tcp://db:5432', to: 'tcp://db.internal:5432'}\n- {from: https://b.example.com, to: http://b, colour: red}\n")})
		wantCode(t, transport+" two refused", err, connect.CodeInvalidArgument, "")
		for _, want := range []string{
			`routes[0] (from tcp://db:5432): from: scheme "tcp" is not served`,
			`routes[1] (from https://b.example.com): colour: unknown route key`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", transport, err.Error(), want)
			}
		}
	}
	got, err := e.store.List(e.ctx, store.KindRoute, store.ListQuery{})
	if err != nil || got.TotalCount != 0 {
		t.Fatalf("refused loads left %d routes, %v", got.TotalCount, err)
	}
}

package manage

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRefusalsNameTheirField: every refusal names the input at fault as the
// call takes it, and for a list, the element.
func TestRefusalsNameTheirField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	team := f.namespace(store.GlobalNamespaceID, "Team")
	f.route(team.ID, "taken", nil)

	_, err := f.app.SetRoute(f.ctx, admin, RouteInput{Route: &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "r"}, Spec: &configpb.Route{From: "ftp://a.example.com", To: []string{"http://b"}},
	}})
	wantRefusal(t, "bad from", err, CodeInvalid, "from")

	_, err = f.app.SetRoutes(f.ctx, admin, []RouteInput{
		{Route: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "ok"}, Spec: &configpb.Route{From: "https://ok.example.com", To: []string{"http://b"}}}},
		{Route: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "taken"}, Spec: &configpb.Route{From: "https://t.example.com", To: []string{"http://b"}}}},
	})
	e := wantRefusal(t, "taken name in a list", err, CodeAlreadyExists, "routes[1].name")
	if e.Index != 1 {
		t.Errorf("index = %d, want 1", e.Index)
	}

	_, err = f.app.SetRoute(f.ctx, admin, RouteInput{Route: &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "p"},
		Spec:       &configpb.Route{From: "https://p.example.com", To: []string{"http://b"}, PolicyIds: []string{"4c1a5b0e-8f3d-4e4b-9a57-000000000000"}},
	}})
	wantRefusal(t, "missing policy", err, CodeInvalid, "policy_ids[0]")

	err = f.app.MoveRoutes(f.ctx, admin, []string{"not-a-uuid"}, team.ID)
	wantRefusal(t, "bad id in a move", err, CodeInvalid, "route_ids[0]")

	_, err = f.app.SetPolicy(f.ctx, admin, PolicyInput{Policy: &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "x"}, PPL: "allow: [["}})
	wantRefusal(t, "bad PPL", err, CodeInvalid, "ppl")
}

package manage

import (
	"slices"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestNamespaceTreeHoldsWhatTheCallerMayView(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "team")
	app := f.namespace(team.ID, "app")
	f.namespace(store.GlobalNamespaceID, "other")
	f.grant(team.ID, "v@example.com", store.RoleViewer)

	got, err := f.app.NamespaceTree(f.ctx, f.caller("v@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ns := range got {
		ids = append(ids, ns.ID)
	}
	slices.Sort(ids)
	want := []string{team.ID, app.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("a viewer of team reads %v, want team and app %v", ids, want)
	}
	if got, err := f.app.NamespaceTree(f.ctx, f.caller("nobody@example.com")); err != nil || len(got) != 0 {
		t.Errorf("a caller without a role reads %d namespaces, %v", len(got), err)
	}
}

package rbac

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// The tree: Global > Team > App, and Other beside Team.
const (
	global = store.GlobalNamespaceID
	team   = "a0000000-0000-4000-8000-000000000001"
	app    = "a0000000-0000-4000-8000-000000000002"
	other  = "a0000000-0000-4000-8000-000000000003"
)

func snapshot() *Snapshot {
	ns := func(id, parent string) *store.Namespace {
		return &store.Namespace{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: parent}}
	}
	grant := func(ns string, t store.SubjectType, subject string, role store.Role) *store.NamespacePermission {
		return &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, SubjectType: t, SubjectID: subject, Role: role}
	}
	return New(
		[]*store.Namespace{ns(global, ""), ns(team, global), ns(app, team), ns(other, global)},
		[]*store.NamespacePermission{
			grant(team, store.SubjectUser, "alice", store.RoleViewer),
			grant(app, store.SubjectUser, "Alice@Example.com", store.RoleManager),
			grant(other, store.SubjectGroup, "ops", store.RoleAdmin),
			grant(global, store.SubjectGroup, "everyone", store.RoleViewer),
		})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	s := snapshot()
	alice := Caller{UserID: "alice", Email: "alice@example.com"}
	for _, tc := range []struct {
		name   string
		caller Caller
		ns     string
		want   store.Role
	}{
		{"granted here", alice, team, store.RoleViewer},
		{"stronger grant below, by email in another case", alice, app, store.RoleManager},
		{"nothing beside", alice, other, None},
		{"nothing above", alice, global, None},
		{"group grant", Caller{UserID: "bob", Groups: []string{"ops"}}, other, store.RoleAdmin},
		{"inherited from Global by group", Caller{UserID: "carol", Groups: []string{"everyone"}}, app, store.RoleViewer},
		{"strongest of user and group", Caller{UserID: "alice", Groups: []string{"ops"}}, other, store.RoleAdmin},
		{"administrator everywhere", Caller{UserID: "root", Administrator: true}, other, store.RoleAdmin},
		{"recovery admin of its subtree", Caller{AdminOf: team}, app, store.RoleAdmin},
		{"recovery nothing beside", Caller{AdminOf: team}, other, None},
		{"guest", Caller{}, global, None},
		{"unknown namespace", alice, "a0000000-0000-4000-8000-000000000404", None},
	} {
		if got := s.Role(tc.caller, tc.ns); got != tc.want {
			t.Errorf("%s: role %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := s.Roles(alice); len(got) != 2 || got[team] != store.RoleViewer || got[app] != store.RoleManager {
		t.Errorf("roles of alice = %v", got)
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	order := []store.Role{None, store.RoleViewer, store.RoleManager, store.RoleAdmin}
	for i, have := range order {
		for j, want := range order {
			if got := AtLeast(have, want); got != (i >= j) {
				t.Errorf("AtLeast(%q, %q) = %v", have, want, got)
			}
		}
	}
}

func TestAncestryStopsAtCycles(t *testing.T) {
	t.Parallel()
	s := New([]*store.Namespace{
		{ObjectMeta: store.ObjectMeta{ID: team, NamespaceID: app}},
		{ObjectMeta: store.ObjectMeta{ID: app, NamespaceID: team}},
	}, nil)
	if got := s.Ancestry(app); len(got) != 2 {
		t.Errorf("ancestry in a cycle = %v", got)
	}
}

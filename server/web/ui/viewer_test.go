package ui

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestNamespacePathHidesWhatTheViewerCannotSee: the path of a namespace the
// viewer has no role in is not shown, as the services answer NotFound for
// it; a namespace the snapshot does not know shows its id.
func TestNamespacePathHidesWhatTheViewerCannotSee(t *testing.T) {
	t.Parallel()
	global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global"}}
	team := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "team", NamespaceID: store.GlobalNamespaceID, Name: "Team"}}
	secret := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "secret", NamespaceID: store.GlobalNamespaceID, Name: "Project X"}}
	inner := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "inner", NamespaceID: "secret", Name: "Inner"}}
	deep := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "deep", NamespaceID: "inner", Name: "Deep"}}
	snap := rbac.New([]*store.Namespace{global, team, secret, inner, deep}, []*store.NamespacePermission{
		{ObjectMeta: store.ObjectMeta{NamespaceID: "team"}, SubjectType: store.SubjectUser, SubjectID: "u@example.com", Role: store.RoleViewer},
		{ObjectMeta: store.ObjectMeta{NamespaceID: "deep"}, SubjectType: store.SubjectUser, SubjectID: "u@example.com", Role: store.RoleManager},
	})
	v := NewViewer(&auth.Principal{Kind: auth.KindUser, Subject: "u@example.com", Email: "u@example.com"},
		manage.CallerOf(manage.Identity{Subject: "u@example.com", Email: "u@example.com"}, store.OriginUI, snap), "", false)
	for id, want := range map[string]string{"team": "Global / Team", "secret": hiddenNamespace, "inner": hiddenNamespace,
		"deep": "Global / … / Deep", "gone": "gone"} {
		if got := v.NamespacePath(id); got != want {
			t.Errorf("NamespacePath(%s) = %q, want %q", id, got, want)
		}
	}
	if got := v.Scope(""); len(got) != 2 || got[0] != "team" || got[1] != "deep" {
		t.Errorf("Scope of every namespace the viewer sees: %v", got)
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

func testServiceAccounts(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		expires := time.Now().Add(48 * time.Hour).Truncate(time.Second)
		in := newServiceAccount(store.GlobalNamespaceID, "ci")
		in.Description, in.ExpiresAt = "deploys", expires
		got := get[*store.ServiceAccount](f, put(f, in).ID)
		if got.Name != "ci" || got.Description != "deploys" || !got.ExpiresAt.Equal(expires) {
			t.Errorf("service account read back = %+v, want name ci, description deploys, expiry %v", got, expires)
		}
		never := get[*store.ServiceAccount](f, put(f, newServiceAccount(store.GlobalNamespaceID, "forever")).ID)
		if !never.ExpiresAt.IsZero() {
			t.Errorf("service account without expiry reads back expiring at %v", never.ExpiresAt)
		}
	})
	subtest(t, "ExpiryInFuture", newEnv, func(t *testing.T, f *fixture) {
		for _, at := range []time.Time{time.Now().Add(-time.Minute), time.Unix(0, 1)} {
			sa := newServiceAccount(store.GlobalNamespaceID, "ci")
			sa.ExpiresAt = at
			f.rejectsPut(sa, store.CodeInvalid, "expires_at")
		}
	})
}

func testPermissions(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		for _, role := range []store.Role{store.RoleViewer, store.RoleManager, store.RoleAdmin} {
			for _, st := range []store.SubjectType{store.SubjectUser, store.SubjectGroup} {
				p := put(f, newPermission(store.GlobalNamespaceID, st, string(role)+"-subject", role))
				got := get[*store.NamespacePermission](f, p.ID)
				if got.SubjectType != st || got.SubjectID != string(role)+"-subject" || got.Role != role {
					t.Errorf("permission read back = %+v, want %s %s-subject as %s", got, st, role, role)
				}
			}
		}
	})
	subtest(t, "FieldRules", newEnv, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			p     *store.NamespacePermission
			field string
		}{
			{newPermission(store.GlobalNamespaceID, "robot", "r2", store.RoleViewer), "subject_type"},
			{newPermission(store.GlobalNamespaceID, "", "r2", store.RoleViewer), "subject_type"},
			{newPermission(store.GlobalNamespaceID, store.SubjectUser, "", store.RoleViewer), "subject_id"},
			{newPermission(store.GlobalNamespaceID, store.SubjectUser, "a\x00b", store.RoleViewer), "subject_id"},
			{newPermission(store.GlobalNamespaceID, store.SubjectUser, "alice", "owner"), "role"},
			{newPermission(store.GlobalNamespaceID, store.SubjectUser, "alice", ""), "role"},
		} {
			f.rejectsPut(c.p, store.CodeInvalid, c.field)
		}
	})
	subtest(t, "OnePerSubject", newEnv, func(t *testing.T, f *fixture) {
		ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
		put(f, newPermission(ns.ID, store.SubjectUser, "alice", store.RoleViewer))
		f.rejectsPut(newPermission(ns.ID, store.SubjectUser, "alice", store.RoleAdmin), store.CodeAlreadyExists, "")
		put(f, newPermission(ns.ID, store.SubjectGroup, "alice", store.RoleAdmin))
		put(f, newPermission(store.GlobalNamespaceID, store.SubjectUser, "alice", store.RoleAdmin))
		moved := put(f, newPermission(store.GlobalNamespaceID, store.SubjectUser, "bob", store.RoleAdmin))
		put(f, newPermission(ns.ID, store.SubjectUser, "bob", store.RoleViewer))
		moved.NamespaceID = ns.ID
		f.rejectsPut(moved, store.CodeAlreadyExists, "")
	})
}

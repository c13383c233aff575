package storetest

import (
	"strings"
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
	subtest(t, "UserID", newEnv, func(t *testing.T, f *fixture) {
		ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
		chosen := newServiceAccount(ns.ID, "deployer")
		chosen.UserID = "deploy@" + ns.ID + ".pomerium"
		got := get[*store.ServiceAccount](f, put(f, chosen).ID)
		if got.UserID != chosen.UserID || got.User() != chosen.UserID {
			t.Errorf("user id read back = %q (User %q), want %q", got.UserID, got.User(), chosen.UserID)
		}
		legacy := get[*store.ServiceAccount](f, put(f, newServiceAccount(ns.ID, "legacy")).ID)
		if legacy.UserID != "" || legacy.User() != legacy.ID {
			t.Errorf("account without a user id reads back user id %q, User %q; want empty and its id %s", legacy.UserID, legacy.User(), legacy.ID)
		}
		again := newServiceAccount(ns.ID, "other")
		again.UserID = chosen.UserID
		err := f.rejectsPut(again, store.CodeAlreadyExists, "user_id")
		if err == nil || !strings.Contains(err.Error(), chosen.UserID) {
			t.Errorf("duplicate user id refused with %v, want it named", err)
		}
		// Unique per namespace only, and a chosen user id never collides
		// with the name of an account without one.
		again.NamespaceID = store.GlobalNamespaceID
		put(f, again)
		named := newServiceAccount(ns.ID, "x")
		put(f, named)
		byName := newServiceAccount(ns.ID, "by-name")
		byName.UserID = "x"
		put(f, byName)
		found, err := f.s.List(f.ctx, store.KindServiceAccount, store.ListQuery{NamespaceID: ns.ID, Query: "DEPLOY@"})
		if err != nil || found.TotalCount != 1 || found.Objects[0].GetObjectMeta().ID != got.ID {
			t.Errorf("query by user id: %+v, %v; want account %s", found, err, got.ID)
		}
		for _, bad := range []string{" padded", strings.Repeat("u", store.MaxNameLength+1), "a\x00b"} {
			sa := newServiceAccount(ns.ID, "bad")
			sa.UserID = bad
			f.rejectsPut(sa, store.CodeInvalid, "user_id")
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

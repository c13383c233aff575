package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

func testBackup(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		fillForBackup(t, f)
		if _, err := f.s.Secret(f.ctx, "signing", func() ([]byte, error) { return []byte("console secret"), nil }); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		sum, err := f.s.Backup(f.ctx, &buf, store.BackupOptions{Activity: true})
		if err != nil {
			t.Fatal(err)
		}
		if sum.StoreVersion != f.version() || sum.Rows["objects"] == 0 || sum.Rows["activity"] == 0 {
			t.Errorf("summary %+v, want store version %d and rows of objects and activity", sum, f.version())
		}
		to := (&fixture{t: t, ctx: f.ctx, env: newEnv(t)})
		to.s = to.open(testKey)
		if _, err := to.s.Restore(f.ctx, bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		wantSameStore(t, f, to)
		// The console's own secrets come along, still sealed with the key.
		got, err := to.s.Secret(f.ctx, "signing", func() ([]byte, error) { return []byte("another"), nil })
		if err != nil || string(got) != "console secret" {
			t.Errorf("console secret after restore = %q, %v", got, err)
		}
		// Writes after a restore take the versions and activity ids after
		// the restored ones.
		ns := put(to, newNamespace(store.GlobalNamespaceID, "after"))
		if ns.Version != sum.StoreVersion+1 {
			t.Errorf("first write after restore has version %d, want %d", ns.Version, sum.StoreVersion+1)
		}
		page, err := to.s.Activity(f.ctx, store.ActivityQuery{Limit: 2})
		if err != nil || len(page.Entries) != 2 || page.Entries[0].ID <= page.Entries[1].ID {
			t.Errorf("activity after restore = %+v, %v; want the new entry after the restored ones", page, err)
		}
	})
	subtest(t, "WithoutActivity", newEnv, func(t *testing.T, f *fixture) {
		fillForBackup(t, f)
		var buf bytes.Buffer
		if _, err := f.s.Backup(f.ctx, &buf, store.BackupOptions{}); err != nil {
			t.Fatal(err)
		}
		to := (&fixture{t: t, ctx: f.ctx, env: newEnv(t)})
		to.s = to.open(testKey)
		sum, err := to.s.Restore(f.ctx, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := sum.Rows["activity"]; ok || sum.Activity {
			t.Errorf("summary %+v holds activity", sum)
		}
		page, err := to.s.Activity(f.ctx, store.ActivityQuery{})
		if err != nil || page.TotalCount != 0 {
			t.Errorf("activity after restoring a backup without it: %d entries, %v", page.TotalCount, err)
		}
		assertEqual(t, "state", load(t, f), load(t, to))
	})
	subtest(t, "OlderBackupGetsReferences", newEnv, func(t *testing.T, f *fixture) {
		// A backup of a console that kept no references: the restore
		// records them, so that a policy in use cannot be deleted even
		// before the store next opens, and an edit that keeps a route's
		// policies (which writes no references) leaves it a user.
		pol := put(f, newPolicy(store.GlobalNamespaceID, "allow"))
		r := put(f, newRoute(store.GlobalNamespaceID, "app", "https://app.example.com", pol.ID))
		var buf bytes.Buffer
		if _, err := f.s.Backup(f.ctx, &buf, store.BackupOptions{}); err != nil {
			t.Fatal(err)
		}
		var older bytes.Buffer
		for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			var l map[string]any
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatal(err)
			}
			switch {
			case i == 0:
				l["refs_version"] = 0
			case l["table"] == "object_refs":
				continue
			case l["end"] != nil:
				l["end"].(map[string]any)["object_refs"] = 0
			}
			b, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			older.Write(append(b, '\n'))
		}
		to := (&fixture{t: t, ctx: f.ctx, env: newEnv(t)})
		to.s = to.open(testKey)
		if _, err := to.s.Restore(f.ctx, &older); err != nil {
			t.Fatal(err)
		}
		r.Spec.Description = new("edited")
		put(to, r)
		wantReferencing(t, to, pol.ID, r.ID)
		to.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: pol.ID}, store.CodeFailedPrecondition, "")
	})
	subtest(t, "Refusals", newEnv, func(t *testing.T, f *fixture) {
		fillForBackup(t, f)
		var buf bytes.Buffer
		if _, err := f.s.Backup(f.ctx, &buf, store.BackupOptions{Activity: true}); err != nil {
			t.Fatal(err)
		}
		backup := buf.Bytes()
		// Into a store that holds anything: refused, nothing written.
		before := load(t, f)
		_, err := f.s.Restore(f.ctx, bytes.NewReader(backup))
		wantError(t, err, store.CodeFailedPrecondition, "")
		assertEqual(t, "state after a refused restore", before, load(t, f))

		// Sealed with another key.
		other := (&fixture{t: t, ctx: f.ctx, env: newEnv(t)})
		other.s = other.open(otherKey)
		if _, err := other.s.Restore(f.ctx, bytes.NewReader(backup)); !errors.Is(err, store.ErrWrongEncryptionKey) {
			t.Errorf("restore with another key: %v, want ErrWrongEncryptionKey", err)
		}
		// Cut short: refused, and the store is still empty.
		lines := bytes.SplitAfter(backup, []byte("\n"))
		cut := bytes.Join(lines[:len(lines)-3], nil)
		empty := (&fixture{t: t, ctx: f.ctx, env: newEnv(t)})
		empty.s = empty.open(testKey)
		if _, err := empty.s.Restore(f.ctx, bytes.NewReader(cut)); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("restore of a truncated backup: %v, want it refused as truncated", err)
		}
		if st := load(t, empty); len(st.Namespaces) != 1 || len(st.Routes) != 0 {
			t.Errorf("a refused restore left %d namespaces and %d routes", len(st.Namespaces), len(st.Routes))
		}
		// A newer format is refused.
		newer := bytes.Replace(backup, []byte(`"format_version":1`), []byte(`"format_version":2`), 1)
		if _, err := empty.s.Restore(f.ctx, bytes.NewReader(newer)); err == nil || !strings.Contains(err.Error(), "format version 2") {
			t.Errorf("restore of a newer format: %v", err)
		}
	})
}

// fillForBackup writes one object of every kind, with a secret, an update
// and a deletion, so that a backup holds tombstones and history.
func fillForBackup(t *testing.T, f *fixture) {
	t.Helper()
	ns := put(f, newNamespace(store.GlobalNamespaceID, "team"))
	pol := put(f, newPolicy(ns.ID, "allow"))
	put(f, newRoute(ns.ID, "app", "https://app.example.com", pol.ID))
	put(f, newObject(t, store.KindKeyPair, ns.ID, "cert").(*store.KeyPair))
	sa := newServiceAccount(ns.ID, "robot")
	sa.ExpiresAt = time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	put(f, sa)
	put(f, newPermission(ns.ID, store.SubjectGroup, "admins", store.RoleAdmin))
	gone := put(f, newPolicy(ns.ID, "gone"))
	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: gone.ID})
	pol.Description = "changed"
	put(f, pol)
	if err := f.s.TouchServiceAccount(f.ctx, sa.ID, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RecordUser(f.ctx, store.User{ID: "u1", Email: "u1@example.com", Groups: []string{"admins"}, SeenAt: time.Now().UTC().Truncate(time.Microsecond)}); err != nil {
		t.Fatal(err)
	}
}

// wantSameStore compares everything a reader sees of two stores: the
// state with its secrets, the changes (tombstones included), the activity
// log and what they know of callers.
func wantSameStore(t *testing.T, a, b *fixture) {
	t.Helper()
	assertEqual(t, "state", load(t, a), load(t, b))
	changes := func(f *fixture) *store.ChangeSet {
		cs, err := f.s.Changes(f.ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	assertEqual(t, "changes", changes(a), changes(b))
	activity := func(f *fixture) *store.ActivityPage {
		page, err := f.s.Activity(f.ctx, store.ActivityQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	assertEqual(t, "activity", activity(a), activity(b))
	users := func(f *fixture) []store.User {
		u, _, err := f.s.Users(f.ctx, store.UserQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	assertEqual(t, "users", users(a), users(b))
	access := func(f *fixture) map[string]time.Time {
		got, err := f.s.ServiceAccountAccess(f.ctx, serviceAccountIDs(t, f)...)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	assertEqual(t, "service account access", access(a), access(b))
}

func load(t *testing.T, f *fixture) *store.State {
	t.Helper()
	st, err := f.s.Load(f.ctx, store.WithSecrets())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func serviceAccountIDs(t *testing.T, f *fixture) []string {
	t.Helper()
	var ids []string
	for _, sa := range load(t, f).ServiceAccounts {
		ids = append(ids, sa.ID)
	}
	return ids
}

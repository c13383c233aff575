package storetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func testActivity(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "EntryPerWrite", newEnv, testActivityEntries)
	subtest(t, "SnapshotsHoldNoSecrets", newEnv, testSnapshotSecrets)
	subtest(t, "EntryPerObjectOfOneApply", newEnv, func(t *testing.T, f *fixture) {
		objs := f.apply(uiActor,
			&store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "ns")},
			&store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "p")},
			&store.PutOp{Object: newServiceAccount(store.GlobalNamespaceID, "sa")})
		for _, o := range objs {
			m := o.GetObjectMeta()
			page := activity(t, f, store.ActivityQuery{EntityID: m.ID})
			if len(page.Entries) != 1 || page.Entries[0].Version != m.Version || page.Entries[0].Subject != uiActor.Subject {
				t.Errorf("entries of %s %s = %+v, want one by %s at version %d", o.Kind(), m.ID, page.Entries, uiActor.Subject, m.Version)
			}
		}
	})
	subtest(t, "Queries", newEnv, testActivityQueries)
	subtest(t, "DefaultLimit", newEnv, func(t *testing.T, f *fixture) {
		var ops []store.Op
		for i := range 105 {
			ops = append(ops, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, fmt.Sprintf("p%03d", i))})
		}
		f.apply(apiActor, ops...)
		page := activity(t, f, store.ActivityQuery{})
		if len(page.Entries) != 100 || page.TotalCount < 105 {
			t.Errorf("activity without a limit = %d entries of %d, want 100 of at least 105", len(page.Entries), page.TotalCount)
		}
	})
	subtest(t, "EntryNeighbours", newEnv, testActivityNeighbours)
}

func activity(t *testing.T, f *fixture, q store.ActivityQuery) *store.ActivityPage {
	t.Helper()
	page, err := f.s.Activity(f.ctx, q)
	if err != nil {
		t.Fatalf("activity %+v: %v", q, err)
	}
	return page
}

func testActivityEntries(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	before := time.Now()
	in := newPolicy(ns.ID, "gatekeeper")
	in.Description = "old-description"
	p := putAs(f, uiActor, in)
	p.Description = "new-description"
	p2 := put(f, p)
	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID})
	after := time.Now()
	cs, err := f.s.Changes(f.ctx, p2.Version, 0)
	if err != nil || len(cs.Changes) != 1 {
		t.Fatalf("changes after the edit = %+v, %v; want the tombstone", cs, err)
	}

	page := activity(t, f, store.ActivityQuery{EntityID: p.ID, Ascending: true})
	if len(page.Entries) != 3 || page.TotalCount != 3 {
		t.Fatalf("policy has %d entries (total %d), want 3", len(page.Entries), page.TotalCount)
	}
	wants := []struct {
		actor   store.Actor
		action  store.Action
		version int64
	}{
		{uiActor, store.ActionSet, p.Version},
		{apiActor, store.ActionSet, p2.Version},
		{apiActor, store.ActionDelete, cs.Changes[0].Version},
	}
	for i, e := range page.Entries {
		w := wants[i]
		if e.Subject != w.actor.Subject || e.Origin != w.actor.Origin || e.Action != w.action || e.Version != w.version ||
			e.EntityType != store.KindPolicy || e.EntityID != p.ID || e.EntityName != "gatekeeper" || e.NamespaceID != ns.ID {
			t.Errorf("entry %d = %+v, want %s by %+v at version %d of policy gatekeeper %s in %s",
				i, e, w.action, w.actor, w.version, p.ID, ns.ID)
		}
		if e.ID == 0 || e.Time.Before(before.Add(-time.Second)) || e.Time.After(after.Add(time.Second)) {
			t.Errorf("entry %d has id %d and time %v, want an id and a time in [%v, %v]", i, e.ID, e.Time, before, after)
		}
	}
	created, edited, deleted := page.Entries[0], page.Entries[1], page.Entries[2]
	for _, e := range []*store.ActivityEntry{created, edited} {
		if !json.Valid([]byte(e.Snapshot)) || !strings.Contains(e.Snapshot, "\n  ") || !strings.Contains(e.Snapshot, "gatekeeper") {
			t.Errorf("snapshot at version %d is not indented JSON naming the policy:\n%s", e.Version, e.Snapshot)
		}
	}
	if created.Added == 0 || created.Removed != 0 || !strings.Contains(created.Diff, "old-description") {
		t.Errorf("first write: added %d, removed %d, diff:\n%s\nwant lines added only, naming the description", created.Added, created.Removed, created.Diff)
	}
	if edited.Added < 1 || edited.Removed < 1 || !strings.Contains(edited.Diff, "old-description") || !strings.Contains(edited.Diff, "new-description") {
		t.Errorf("edit: added %d, removed %d, diff:\n%s\nwant lines added and removed, naming old and new description", edited.Added, edited.Removed, edited.Diff)
	}
	if deleted.Snapshot != "" {
		t.Errorf("delete entry has snapshot %q, want none", deleted.Snapshot)
	}
}

func testActivityQueries(t *testing.T, f *fixture) {
	a := put(f, newNamespace(store.GlobalNamespaceID, "a"))
	a1 := putAs(f, uiActor, newNamespace(a.ID, "a1"))
	b := put(f, newNamespace(store.GlobalNamespaceID, "b"))
	p := putAs(f, uiActor, newPolicy(a.ID, "Shared-Policy"))
	put(f, newRoute(a1.ID, "deep", "https://deep.example.com", p.ID))
	sa := putAs(f, importer, newServiceAccount(b.ID, "robot"))
	p.Description = "edited"
	putAs(f, uiActor, p)
	f.del(store.DeleteOp{Kind: store.KindServiceAccount, ID: sa.ID})
	put(f, newPermission(a.ID, store.SubjectUser, "carol", store.RoleViewer))

	all := activity(t, f, store.ActivityQuery{Ascending: true, Limit: 1000}).Entries
	if !slices.IsSortedFunc(all, func(x, y *store.ActivityEntry) int { return x.Time.Compare(y.Time) }) {
		t.Errorf("ascending activity is not in time order")
	}
	mid := all[len(all)/2].Time
	subtree := map[string]bool{a.ID: true, a1.ID: true}
	for _, c := range []struct {
		name string
		q    store.ActivityQuery
		keep func(*store.ActivityEntry) bool
	}{
		{"namespace", store.ActivityQuery{NamespaceID: a.ID}, func(e *store.ActivityEntry) bool { return e.NamespaceID == a.ID }},
		{"subtree", store.ActivityQuery{NamespaceID: a.ID, Recursive: true}, func(e *store.ActivityEntry) bool { return subtree[e.NamespaceID] }},
		{"entity type", store.ActivityQuery{EntityType: store.KindPolicy}, func(e *store.ActivityEntry) bool { return e.EntityType == store.KindPolicy }},
		{"entity id", store.ActivityQuery{EntityID: sa.ID}, func(e *store.ActivityEntry) bool { return e.EntityID == sa.ID }},
		{"subject", store.ActivityQuery{Subject: uiActor.Subject}, func(e *store.ActivityEntry) bool { return e.Subject == uiActor.Subject }},
		{"action", store.ActivityQuery{Action: store.ActionDelete}, func(e *store.ActivityEntry) bool { return e.Action == store.ActionDelete }},
		{"since", store.ActivityQuery{Since: mid}, func(e *store.ActivityEntry) bool { return !e.Time.Before(mid) }},
		{"until", store.ActivityQuery{Until: mid}, func(e *store.ActivityEntry) bool { return e.Time.Before(mid) }},
		{"query name", store.ActivityQuery{Query: "shared-POLICY"}, func(e *store.ActivityEntry) bool { return e.EntityName == "Shared-Policy" }},
		{"query subject", store.ActivityQuery{Query: "BOB@"}, func(e *store.ActivityEntry) bool { return e.Subject == uiActor.Subject }},
		{"combined", store.ActivityQuery{Subject: uiActor.Subject, EntityType: store.KindNamespace}, func(e *store.ActivityEntry) bool {
			return e.Subject == uiActor.Subject && e.EntityType == store.KindNamespace
		}},
	} {
		want := entryIDs(slices.DeleteFunc(slices.Clone(all), func(e *store.ActivityEntry) bool { return !c.keep(e) }))
		if len(want) == 0 {
			t.Fatalf("%s: the fixture gives no entries to find", c.name)
		}
		q := c.q
		q.Ascending, q.Limit = true, 1000
		page := activity(t, f, q)
		assertEqual(t, c.name+": ascending entry ids", want, entryIDs(page.Entries))
		if page.TotalCount != len(want) {
			t.Errorf("%s: total count %d, want %d", c.name, page.TotalCount, len(want))
		}
		q.Ascending = false
		assertEqual(t, c.name+": newest first", reversedIDs(want), entryIDs(activity(t, f, q).Entries))
	}

	page := activity(t, f, store.ActivityQuery{Ascending: true, Offset: 2, Limit: 3})
	assertEqual(t, "page 2..5", entryIDs(all[2:5]), entryIDs(page.Entries))
	if page.TotalCount != len(all) {
		t.Errorf("total count of a page = %d, want %d", page.TotalCount, len(all))
	}
	page = activity(t, f, store.ActivityQuery{Limit: 2})
	assertEqual(t, "newest two", reversedIDs(entryIDs(all))[:2], entryIDs(page.Entries))

	// A bounded count stops at the bound or the page's end, whichever is
	// further, and says whether more entries match; the page is the same.
	n := len(all)
	for _, c := range []struct {
		offset, limit, upTo, total int
		more                       bool
	}{
		{0, 2, 3, 3, true},
		{0, 2, n - 1, n - 1, true},
		{0, 2, n, n, false},
		{0, 2, n + 5, n, false},
		{n - 3, 2, 3, n - 1, true}, // the page's end is the bound
		{n - 2, 2, 3, n, false},
		{n + 4, 2, 3, n, false}, // past the end
	} {
		q := store.ActivityQuery{Ascending: true, Offset: c.offset, Limit: c.limit, CountUpTo: c.upTo}
		page := activity(t, f, q)
		if page.TotalCount != c.total || page.More != c.more {
			t.Errorf("count up to %d at %d+%d: %d, more %t; want %d, more %t", c.upTo, c.offset, c.limit, page.TotalCount, page.More, c.total, c.more)
		}
		q.CountUpTo = 0
		assertEqual(t, fmt.Sprintf("page at %d with a bounded count", c.offset), entryIDs(activity(t, f, q).Entries), entryIDs(page.Entries))
	}
	if page := activity(t, f, store.ActivityQuery{NamespaceID: a.ID, Recursive: true, CountUpTo: 1, Limit: 1}); page.TotalCount != 1 || !page.More {
		t.Errorf("a bounded count of a subtree: %d, more %t; want 1, more", page.TotalCount, page.More)
	}
}

func entryIDs(entries []*store.ActivityEntry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func reversedIDs(ids []int64) []int64 {
	r := slices.Clone(ids)
	slices.Reverse(r)
	return r
}

func testActivityNeighbours(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	put(f, newPolicy(store.GlobalNamespaceID, "between"))
	p.Description = "edit"
	p = put(f, p)
	put(f, newNamespace(store.GlobalNamespaceID, "between"))
	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID})

	entries := activity(t, f, store.ActivityQuery{EntityID: p.ID, Ascending: true}).Entries
	if len(entries) != 3 {
		t.Fatalf("policy has %d entries, want 3", len(entries))
	}
	for i, want := range entries {
		e, prev, next, err := f.s.ActivityEntry(f.ctx, want.ID)
		if err != nil {
			t.Fatalf("activity entry %d: %v", want.ID, err)
		}
		assertEqual(t, "activity entry", want, e)
		var wantPrev, wantNext int64
		if i > 0 {
			wantPrev = entries[i-1].ID
		}
		if i < len(entries)-1 {
			wantNext = entries[i+1].ID
		}
		if prev != wantPrev || next != wantNext {
			t.Errorf("neighbours of entry %d = %d, %d; want %d, %d", want.ID, prev, next, wantPrev, wantNext)
		}
	}
	last := activity(t, f, store.ActivityQuery{Limit: 1}).Entries[0].ID
	if _, _, _, err := f.s.ActivityEntry(f.ctx, last+1000); store.CodeOf(err) != store.CodeNotFound {
		t.Errorf("unknown activity entry: error %v, want not found", err)
	}
}

// testSnapshotSecrets checks that secrets of route and settings specs stay
// out of the activity log, which names them instead.
func testSnapshotSecrets(t *testing.T, f *fixture) {
	r := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
	r.Spec.IdpClientSecret = proto.String("route-secret-value")
	r.Spec.Mcp = &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{
		UpstreamOauth2: &configpb.UpstreamOAuth2{ClientId: "id", ClientSecret: "oauth-secret-value"}}}}
	r = put(f, r)
	s := newSettings("warn")
	s.Spec.SharedSecret = proto.String("shared-secret-value")
	s.Spec.Certificates = []*configpb.Settings_Certificate{{CertBytes: []byte("cert"), KeyBytes: []byte("key-bytes-value")}}
	s = put(f, s)
	for _, tc := range []struct {
		id      string
		secrets []string
		paths   []string
	}{
		{r.ID, []string{"route-secret-value", "oauth-secret-value"}, []string{"spec.idp_client_secret", "spec.mcp.server.upstream_oauth2.client_secret"}},
		{s.ID, []string{"shared-secret-value", "key-bytes-value", base64.StdEncoding.EncodeToString([]byte("key-bytes-value"))}, []string{"spec.certificates[0].key_bytes", "spec.shared_secret"}},
	} {
		page := activity(t, f, store.ActivityQuery{EntityID: tc.id})
		if len(page.Entries) != 1 {
			t.Fatalf("entries of %s: %d", tc.id, len(page.Entries))
		}
		snap := page.Entries[0].Snapshot
		for _, secret := range tc.secrets {
			if strings.Contains(snap, secret) || strings.Contains(page.Entries[0].Diff, secret) {
				t.Errorf("the activity log of %s holds %q:\n%s", tc.id, secret, snap)
			}
		}
		var doc struct {
			Redacted []string `json:"redacted"`
		}
		if err := json.Unmarshal([]byte(snap), &doc); err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "redacted fields of "+tc.id, tc.paths, doc.Redacted)
	}
	if got := get[*store.Route](f, r.ID); got.Spec.GetIdpClientSecret() != "route-secret-value" {
		t.Errorf("the stored route lost its secret: %q", got.Spec.GetIdpClientSecret())
	}
}

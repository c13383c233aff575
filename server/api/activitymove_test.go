package api_test

import (
	"strings"
	"testing"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestMovedInEntryHidesTheVersionBefore: a route moved from a namespace the
// caller cannot see into one it can: the caller sees the entry of the move,
// but not its diff, which would show the route as it was in the hidden
// namespace. An admin of both sees the diff.
func TestMovedInEntryHidesTheVersionBefore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hidden := e.namespace(store.GlobalNamespaceID, "Hidden")
	open := e.namespace(store.GlobalNamespaceID, "Open")
	r := e.route(hidden.ID, "app", "https://secret-project.example.com")
	r.NamespaceID = open.ID
	r.Spec.From = "https://app.example.com"
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, r, r.Version); err != nil {
		t.Fatal(err)
	}
	viewer := e.account(store.RoleViewer, open.ID)
	for _, transport := range transports {
		list, err := e.activityAPI(transport, viewer).list(e.ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: new(open.ID), EntityType: new("route")})
		if err != nil || len(list.Entries) != 1 {
			t.Fatalf("%s: entries of Open: %v, %v", transport, list, err)
		}
		moved := list.Entries[0]
		if moved.Diff != "" || moved.DiffSummary.GetRemoved() != 0 || strings.Contains(moved.EntityData, "secret-project") {
			t.Errorf("%s: the viewer of Open reads the version in Hidden: %v", transport, moved)
		}
		got, err := e.activityAPI(transport, viewer).get(e.ctx, &pb.GetActivityLogEntryRequest{Id: moved.Id})
		if err != nil || got.Entry.Diff != "" {
			t.Errorf("%s: get: %v, %v", transport, got, err)
		}
		admin, err := e.activityAPI(transport, e.adminToken()).get(e.ctx, &pb.GetActivityLogEntryRequest{Id: moved.Id})
		if err != nil || !strings.Contains(admin.Entry.Diff, "secret-project") {
			t.Errorf("%s: the admin does not see the diff: %v, %v", transport, admin, err)
		}
	}
}

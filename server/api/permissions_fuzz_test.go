package api_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// FuzzSetNamespacePermission sends SetNamespacePermission whatever it is
// given, as an admin or a viewer of Team, and accepts only success or the
// codes of a refusal: InvalidArgument naming a field of the permission,
// NotFound, PermissionDenied, AlreadyExists, and FailedPrecondition for an
// expected version. A panic in the handler would come back as Internal.
//
// The names team, other and global (for the namespace) and existing (for
// the id) stand for the ids of objects the fuzzed console holds: Team,
// Other beside it, Global, and the permission of group devs in Team.
func FuzzSetNamespacePermission(f *testing.F) {
	f.Add("", "team", "user", "alice", "viewer", int64(0), false)
	f.Add("", "team", "group", "ops", "admin", int64(0), true)
	f.Add("", "other", "user", "bob", "manager", int64(0), false)
	f.Add("", "global", "user", "carol", "viewer", int64(0), false)
	f.Add("", "team", "group", "devs", "viewer", int64(0), false)
	f.Add("existing", "team", "group", "devs", "admin", int64(1), false)
	f.Add("existing", "other", "group", "devs", "admin", int64(0), false)
	f.Add("not-a-uuid", "team", "user", "alice", "viewer", int64(0), false)
	f.Add("", "2b8e8a2c-0f0e-4c5e-9d59-8a0b7e1f4c11", "user", "alice", "viewer", int64(0), false)
	f.Add("", "", "user", "alice", "viewer", int64(0), false)
	f.Add("", "team", "robot", "r2", "owner", int64(0), false)
	f.Add("", "team", "user", " ", "viewer", int64(0), false)
	f.Add("", "team", "user", "a\x00b", "viewer", int64(0), false)
	f.Add("", "team", "user", strings.Repeat("s", 300), "admin", int64(0), false)
	f.Add("", "team", "user", "dave", "admin", int64(-1), false)
	// One console serves every input of a fuzzing process: a console per
	// input (a database made and migrated each time) ran a few inputs a
	// second. Each input gets namespaces of its own and takes away what it
	// granted in Global, so that no input sees another's objects.
	e := newEnv(f)
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	f.Fuzz(func(t *testing.T, id, namespace, subjectType, subjectID, role string, expectedVersion int64, asViewer bool) {
		for _, s := range []string{id, namespace, subjectType, subjectID, role} {
			if !utf8.ValidString(s) {
				return // a protobuf string is UTF-8: no client can send another
			}
		}
		e.t = t
		team := e.namespace(store.GlobalNamespaceID, "Team "+uuid.NewString())
		other := e.namespace(store.GlobalNamespaceID, "Other "+uuid.NewString())
		t.Cleanup(func() {
			for _, ns := range []string{team.ID, other.ID} {
				if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindNamespace, ID: ns, Cascade: true}); err != nil {
					t.Error(err)
				}
			}
		})
		existing, err := store.Put(e.ctx, e.store, actor, &store.NamespacePermission{
			ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectGroup, SubjectID: "devs", Role: store.RoleViewer}, 0)
		if err != nil {
			t.Fatal(err)
		}
		stand := map[string]string{"team": team.ID, "other": other.ID, "global": store.GlobalNamespaceID, "existing": existing.ID}
		if v, ok := stand[id]; ok {
			id = v
		}
		if v, ok := stand[namespace]; ok {
			namespace = v
		}
		callerRole := store.RoleAdmin
		if asViewer {
			callerRole = store.RoleViewer
		}
		transport := transports[len(subjectID)%len(transports)]
		req := grant(namespace, subjectType, subjectID, store.Role(role))
		req.NamespacePermission.Id = id
		if expectedVersion != 0 {
			req.ExpectedVersion = &expectedVersion
		}
		res, err := e.permissionAPI(transport, e.account(callerRole, team.ID)).set(e.ctx, req)
		if p := res.GetNamespacePermission(); err == nil && p.GetNamespaceId() == store.GlobalNamespaceID {
			if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindNamespacePermission, ID: p.GetId()}); err != nil {
				t.Fatal(err)
			}
		}
		switch code := codeOf(err); code {
		case 0, connect.CodeNotFound, connect.CodePermissionDenied, connect.CodeAlreadyExists:
		case connect.CodeInvalidArgument:
			if !strings.Contains(err.Error(), "namespace_permission.") {
				t.Fatalf("InvalidArgument without the field: %v", err)
			}
		case connect.CodeFailedPrecondition:
			if expectedVersion == 0 {
				t.Fatalf("FailedPrecondition without an expected version: %v", err)
			}
		default:
			t.Fatalf("code %v: %v", code, err)
		}
	})
}

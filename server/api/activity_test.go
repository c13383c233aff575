package api_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

type activityAPI struct {
	list  rpc[pb.ListActivityLogEntriesRequest, pb.ListActivityLogEntriesResponse]
	get   rpc[pb.GetActivityLogEntryRequest, pb.GetActivityLogEntryResponse]
	types rpc[pb.ListEntityTypesRequest, pb.ListEntityTypesResponse]
}

func (e *env) activityAPI(transport, token string) activityAPI {
	if transport == "grpc" {
		c := pb.NewActivityLogServiceClient(e.conn)
		return activityAPI{viaGRPC(token, c.ListActivityLogEntries), viaGRPC(token, c.GetActivityLogEntry), viaGRPC(token, c.ListEntityTypes)}
	}
	c := dashboardpbconnect.NewActivityLogServiceClient(e.http, e.url, connectOpts(token)...)
	return activityAPI{viaConnect(c.ListActivityLogEntries), viaConnect(c.GetActivityLogEntry), viaConnect(c.ListEntityTypes)}
}

// history is a small activity log below Team: App created, a policy p
// created and changed by alice in Team, a key pair created in App, p
// deleted by a service account.
type history struct {
	team, app *store.Namespace
	policy    *store.Policy // as last set
	account   string        // the service account that deleted p
}

func (e *env) history() history {
	e.t.Helper()
	team := e.namespace(store.GlobalNamespaceID, "Team")
	h := history{team: team, app: e.namespace(team.ID, "App"), account: uuid.NewString()}
	alice := store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}
	p, err := store.Put(e.ctx, e.store, alice, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "p"}, PPL: allowAll}, 0)
	if err == nil {
		p.PPL = "allow:\n  or:\n    - email: {is: bob@example.com}\n"
		h.policy, err = store.Put(e.ctx, e.store, alice, p, p.Version)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.keyPair(h.app.ID, "kp.example.com")
	sa := store.Actor{Subject: "service_account:" + h.account, Origin: store.OriginAPI}
	if err := store.Delete(e.ctx, e.store, sa, store.DeleteOp{Kind: store.KindPolicy, ID: p.ID}); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// listNames lists entries and returns their activity and entity types and
// the total count, failing on error.
func listNames(t *testing.T, api activityAPI, req *pb.ListActivityLogEntriesRequest) ([]string, int64) {
	t.Helper()
	got, err := api.list(t.Context(), req)
	if err != nil {
		t.Fatalf("list %v: %v", req, err)
	}
	var out []string
	for _, e := range got.Entries {
		out = append(out, e.ActivityType+" "+e.EntityType)
	}
	return out, got.TotalCount
}

func TestActivityLog(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			h := e.history()
			api := e.activityAPI(transport, e.adminToken())
			all, err := api.list(e.ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: &h.team.ID})
			if err != nil || all.TotalCount != 5 || len(all.Entries) != 5 {
				t.Fatalf("the log below Team: %v, %v", all, err)
			}
			del, update := all.Entries[0], all.Entries[2]
			if del.ActivityType != "DELETE" || del.EntityType != "policy" || del.EntityId != h.policy.ID || del.Name != "p" ||
				del.NamespaceId != h.team.ID || del.NamespaceName != "Team" || del.UserId != "service_account:"+h.account ||
				del.ServiceAccountId != h.account || del.UserEmail != "" || del.EntityData != "" || del.CreatedAt == nil {
				t.Errorf("delete entry %v", del)
			}
			if update.ActivityType != "SET" || update.UserId != "alice@example.com" || update.UserEmail != "alice@example.com" ||
				!strings.Contains(update.EntityData, "bob@example.com") || update.DiffSummary.GetAdded() == 0 ||
				update.DiffSummary.GetRemoved() == 0 || update.DbVersion != uint64(h.policy.Version) ||
				!strings.Contains(update.Diff, "+") || !strings.Contains(update.Diff, "bob@example.com") {
				t.Errorf("update entry %v", update)
			}

			oldest, newest := all.Entries[4].CreatedAt, all.Entries[0].CreatedAt
			ns := &h.team.ID
			for _, tc := range []struct {
				name  string
				req   *pb.ListActivityLogEntriesRequest
				want  []string
				total int64
			}{
				{"not recursive", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, RecurseNamespace: new(false), EntityType: new("key_pair")}, nil, 0},
				{"entity type", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, EntityType: new("key_pair")}, []string{"SET key_pair"}, 1},
				{"entity id", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, EntityId: &h.policy.ID}, []string{"DELETE policy", "SET policy", "SET policy"}, 3},
				{"entities", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, Entities: []*pb.ListActivityLogEntriesRequest_Entity{{Type: "namespace", Id: h.app.ID}}}, []string{"SET namespace"}, 1},
				{"user", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, UserId: new("alice@example.com")}, []string{"SET policy", "SET policy"}, 2},
				{"string filter", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, StringFilter: &pb.ListActivityLogEntriesRequest_StringFilter{
					FieldName: "activity_type", Operator: "equals", Value: "delete"}}, []string{"DELETE policy"}, 1},
				{"activity type", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, ActivityType: new("DELETE")}, []string{"DELETE policy"}, 1},
				{"query", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, Query: new("ALICE")}, []string{"SET policy", "SET policy"}, 2},
				{"oldest first, paged", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, Offset: new(int64(1)), Limit: new(int64(2)),
					Sort: &pb.ListActivityLogEntriesRequest_Sort{Column: "created_at", Direction: "asc"}}, []string{"SET policy", "SET policy"}, 5},
				{"after the newest", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: ">", Date: newest}}, nil, 0},
				{"at the newest", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "=", Date: newest}}, []string{"DELETE policy"}, 1},
				{"before the oldest", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "<", Date: oldest}}, nil, 0},
				{"until the oldest", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "<=", Date: oldest}}, []string{"SET namespace"}, 1},
				{"from an hour ago", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: ">=", Date: timestamppb.New(time.Now().Add(-time.Hour))}}, nil, 5},
			} {
				names, total := listNames(t, api, tc.req)
				if total != tc.total || (tc.want != nil || total == 0) && !slices.Equal(names, tc.want) {
					t.Errorf("%s: %v of %d, want %v of %d", tc.name, names, total, tc.want, tc.total)
				}
			}

			checkNeighbours(t, api, all.Entries[3].Id, "", update.Id)
			checkNeighbours(t, api, update.Id, all.Entries[3].Id, del.Id)
			checkNeighbours(t, api, del.Id, update.Id, "")
			_, err = api.get(e.ctx, &pb.GetActivityLogEntryRequest{Id: "999999"})
			wantCode(t, "get a missing entry", err, connect.CodeNotFound, "")

			types, err := api.types(e.ctx, &pb.ListEntityTypesRequest{})
			if err != nil || len(types.EntityTypes) != len(store.EntityTypes) || types.EntityTypes[0] != string(store.Kinds[0]) {
				t.Fatalf("entity types: %v, %v", types, err)
			}
		})
	}
}

// checkNeighbours gets an entry and checks the ids of its neighbours
// ("" for none).
func checkNeighbours(t *testing.T, api activityAPI, id, previous, next string) {
	t.Helper()
	got, err := api.get(t.Context(), &pb.GetActivityLogEntryRequest{Id: id})
	if err != nil || got.Entry.Id != id || got.GetPreviousEntryId() != previous || got.GetNextEntryId() != next {
		t.Fatalf("entry %s: %v, %v; want previous %q, next %q", id, got, err, previous, next)
	}
}

func TestActivityInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ns := new(store.GlobalNamespaceID)
	for _, transport := range transports {
		api := e.activityAPI(transport, e.adminToken())
		for _, tc := range []struct {
			name string
			req  *pb.ListActivityLogEntriesRequest
			want string
		}{
			{"bad namespace", &pb.ListActivityLogEntriesRequest{NamespaceId: new("x")}, "namespace_id: "},
			{"unknown activity type", &pb.ListActivityLogEntriesRequest{ActivityType: new("CREATE")}, "activity_type: "},
			{"unknown entity type", &pb.ListActivityLogEntriesRequest{EntityType: new("user")}, "entity_type: "},
			{"bad entity id", &pb.ListActivityLogEntriesRequest{EntityId: new("x\ty")}, "entity_id: must be the id of an object"},
			{"long entity id", &pb.ListActivityLogEntriesRequest{EntityId: new(strings.Repeat("x", 257))}, "entity_id: must be the id of an object"},
			{"negative offset", &pb.ListActivityLogEntriesRequest{NamespaceId: ns, Offset: new(int64(-1))}, "offset: "},
			{"limit too large", &pb.ListActivityLogEntriesRequest{Limit: new(int64(100000))}, "limit: "},
			{"versions", &pb.ListActivityLogEntriesRequest{DbVersions: []uint64{1}}, "db_versions: "},
			{"two entities", &pb.ListActivityLogEntriesRequest{Entities: []*pb.ListActivityLogEntriesRequest_Entity{
				{Type: "route"}, {Type: "policy"}}}, "entities: "},
			{"entity of an unknown type", &pb.ListActivityLogEntriesRequest{Entities: []*pb.ListActivityLogEntriesRequest_Entity{
				{Type: "x"}}}, "entities[0].type: "},
			{"contradiction", &pb.ListActivityLogEntriesRequest{EntityType: new("route"), Entities: []*pb.ListActivityLogEntriesRequest_Entity{
				{Type: "policy"}}}, "entities[0].type: policy contradicts route"},
			{"sort column", &pb.ListActivityLogEntriesRequest{Sort: &pb.ListActivityLogEntriesRequest_Sort{Column: "user_name"}}, "sort.column: "},
			{"sort direction", &pb.ListActivityLogEntriesRequest{Sort: &pb.ListActivityLogEntriesRequest_Sort{Direction: "up"}}, "sort.direction: "},
			{"date without date", &pb.ListActivityLogEntriesRequest{DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "<"}}, "date_filter.date: "},
			{"date operator", &pb.ListActivityLogEntriesRequest{DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "!=",
				Date: timestamppb.Now()}}, "date_filter.operator: "},
			{"string operator", &pb.ListActivityLogEntriesRequest{StringFilter: &pb.ListActivityLogEntriesRequest_StringFilter{
				FieldName: "user_id", Operator: "contains", Value: "a"}}, "string_filter.operator: "},
			{"string field", &pb.ListActivityLogEntriesRequest{StringFilter: &pb.ListActivityLogEntriesRequest_StringFilter{
				FieldName: "name", Operator: "equals", Value: "a"}}, "string_filter.fieldName: "},
		} {
			_, err := api.list(e.ctx, tc.req)
			wantCode(t, transport+" "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		if transport == "grpc" { // the Connect client cannot even encode it
			_, err := api.list(e.ctx, &pb.ListActivityLogEntriesRequest{DateFilter: &pb.ListActivityLogEntriesRequest_DateFilter{Operator: "<",
				Date: &timestamppb.Timestamp{Nanos: -1}}})
			wantCode(t, "bad date", err, connect.CodeInvalidArgument, "date_filter.date: ")
		}
		for _, id := range []string{"", "x", "0", "-1", "+1", "01"} {
			_, err := api.get(e.ctx, &pb.GetActivityLogEntryRequest{Id: id})
			wantCode(t, transport+" get "+strconv.Quote(id), err, connect.CodeInvalidArgument, "id: ")
		}
	}
}

func TestActivityRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.roleMatrix(t, []roleCall{
		{"ListActivityLogEntries", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.activityAPI("grpc", tok).list(ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: &ns})
			return err
		}},
		{"ListActivityLogEntries (one namespace)", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.activityAPI("connect-json", tok).list(ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: &ns, RecurseNamespace: new(false)})
			return err
		}},
		{"GetActivityLogEntry", store.RoleViewer, func(ctx context.Context, e *env, tok, ns string) error {
			_, err := e.activityAPI("grpc", tok).get(ctx, &pb.GetActivityLogEntryRequest{Id: e.entryOf(e.policy(ns, uuid.NewString(), false).ID)})
			return err
		}},
	})
}

// entryOf returns the id of the newest entry of an entity.
func (e *env) entryOf(entityID string) string {
	e.t.Helper()
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityID: entityID, Limit: 1})
	if err != nil || len(page.Entries) == 0 {
		e.t.Fatalf("activity of %s: %v, %v", entityID, page, err)
	}
	return strconv.FormatInt(page.Entries[0].ID, 10)
}

// TestActivityVisibility: the log of every namespace takes viewer of
// Global, a deleted namespace's history stays with the namespace it was
// in, settings secrets are for admins of Global, and a caller without a
// role sees nothing.
func TestActivityVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	other := e.namespace(store.GlobalNamespaceID, "Other")
	gone := e.namespace(team.ID, "Gone")
	p := e.policy(gone.ID, "p", false)
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	for _, op := range []store.DeleteOp{{Kind: store.KindPolicy, ID: p.ID}, {Kind: store.KindNamespace, ID: gone.ID}} {
		if err := store.Delete(e.ctx, e.store, actor, op); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.settingsAPI("grpc", e.adminToken()).set(e.ctx, &pb.SetSettingsRequest{Settings: someSettings(t)}); err != nil {
		t.Fatal(err)
	}

	teamViewer := e.activityAPI("grpc", e.account(store.RoleViewer, team.ID))
	_, err := teamViewer.list(e.ctx, &pb.ListActivityLogEntriesRequest{})
	wantCode(t, "viewer of Team listing every namespace", err, connect.CodePermissionDenied, "namespace_id")
	if _, total := listNames(t, teamViewer, &pb.ListActivityLogEntriesRequest{NamespaceId: &team.ID, EntityType: new("policy")}); total != 2 {
		t.Errorf("viewer of Team sees %d policy entries below Team, want those of p in the deleted Gone", total)
	}
	if _, total := listNames(t, teamViewer, &pb.ListActivityLogEntriesRequest{NamespaceId: &gone.ID}); total != 2 {
		t.Errorf("viewer of Team sees %d entries of the deleted Gone, want p's two", total)
	}
	if _, err := teamViewer.get(e.ctx, &pb.GetActivityLogEntryRequest{Id: e.entryOf(p.ID)}); err != nil {
		t.Errorf("viewer of Team reading an entry of the deleted Gone: %v", err)
	}
	otherViewer := e.activityAPI("connect-json", e.account(store.RoleViewer, other.ID))
	_, err = otherViewer.get(e.ctx, &pb.GetActivityLogEntryRequest{Id: e.entryOf(p.ID)})
	wantCode(t, "viewer of Other reading an entry of Gone", err, connect.CodeNotFound, "")
	_, err = otherViewer.list(e.ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: &gone.ID})
	wantCode(t, "viewer of Other listing Gone", err, connect.CodeNotFound, "")

	settings := &pb.ListActivityLogEntriesRequest{EntityType: new("settings")}
	// The log holds no secrets, whoever reads it; it names the ones set.
	for _, tc := range []struct {
		who   string
		token string
	}{
		{"viewer of Global", e.account(store.RoleViewer, store.GlobalNamespaceID)},
		{"admin of Global", e.adminToken()},
	} {
		got, err := e.activityAPI("connect-json", tc.token).list(e.ctx, settings)
		if err != nil || len(got.Entries) != 1 {
			t.Fatalf("%s listing settings entries: %v, %v", tc.who, got, err)
		}
		data := got.Entries[0].EntityData
		if strings.Contains(data, "c2VjcmV0") || !strings.Contains(data, `"spec.shared_secret"`) || !strings.Contains(data, "#123456") {
			t.Errorf("%s reads the settings entry %s", tc.who, data)
		}
	}

	guest := e.activityAPI("grpc", e.account(rbac.None, team.ID))
	_, err = guest.list(e.ctx, &pb.ListActivityLogEntriesRequest{})
	wantCode(t, "a caller without roles listing every namespace", err, connect.CodePermissionDenied, "")
	_, err = guest.list(e.ctx, &pb.ListActivityLogEntriesRequest{NamespaceId: &team.ID})
	wantCode(t, "a caller without roles listing Team", err, connect.CodeNotFound, "")
	_, err = guest.get(e.ctx, &pb.GetActivityLogEntryRequest{Id: e.entryOf(team.ID)})
	wantCode(t, "a caller without roles reading an entry", err, connect.CodeNotFound, "")
	if types, err := guest.types(e.ctx, &pb.ListEntityTypesRequest{}); err != nil || len(types.EntityTypes) == 0 {
		t.Errorf("a caller without roles listing entity types: %v, %v", types, err)
	}
}

package memory

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/sessionpb"
)

const (
	typeRoute  = "type.googleapis.com/pomerium.config.Route"
	typePolicy = "type.googleapis.com/pomerium.config.Policy"
)

func TestPutThenGet(t *testing.T) {
	t.Parallel()
	h := start(t)

	res := h.put(t, record(typeRoute, "r1", "one"))
	if res.GetServerVersion() != h.srv.ServerVersion() {
		t.Errorf("server_version = %d, want %d", res.GetServerVersion(), h.srv.ServerVersion())
	}
	stored := res.GetRecord()
	if stored.GetVersion() != 1 || !stored.GetModifiedAt().AsTime().Equal(h.clock.Now()) {
		t.Errorf("stored version %d modified_at %v, want 1 and %v", stored.GetVersion(), stored.GetModifiedAt().AsTime(), h.clock.Now())
	}

	got, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if valueOf(t, got.GetRecord()) != "one" || got.GetRecord().GetVersion() != 1 {
		t.Errorf("get = %v", got.GetRecord())
	}

	_, err = h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "missing"})
	wantCode(t, err, codes.NotFound)
	_, err = h.client.Get(h.ctx(t), &pb.GetRequest{Type: typePolicy, Id: "r1"})
	wantCode(t, err, codes.NotFound)
}

func TestVersionsAreGlobalAndBumpOnIdenticalRewrite(t *testing.T) {
	t.Parallel()
	h := start(t)

	batch := h.put(t, record(typeRoute, "r1", "x"), record(typePolicy, "p1", "y"), record(typeRoute, "r2", "z"))
	var versions []uint64
	for _, r := range batch.GetRecords() {
		versions = append(versions, r.GetVersion())
	}
	if diff := cmp.Diff([]uint64{1, 2, 3}, versions); diff != "" {
		t.Errorf("versions of one batch (-want +got):\n%s", diff)
	}

	again := h.put(t, record(typeRoute, "r1", "x"))
	if v := again.GetRecord().GetVersion(); v != 4 {
		t.Errorf("identical rewrite got version %d, want 4", v)
	}
	if got := h.latest(t); got != 4 {
		t.Errorf("latest record version = %d, want 4", got)
	}
}

func TestTombstones(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"))

	// The answer is the delete as it was sent; the change it leaves is the
	// record as it was, deleted and modified now, under the next version.
	sent := tombstone(typeRoute, "r1")
	del := h.put(t, sent)
	if !proto.Equal(del.GetRecord(), sent) {
		t.Errorf("delete answered %v, want the request %v", del.GetRecord(), sent)
	}
	if got := h.latest(t); got != 3 {
		t.Errorf("latest record version after a delete = %d, want 3", got)
	}
	_, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"})
	wantCode(t, err, codes.NotFound)
	changes := h.changes(t, typeRoute, 2)
	if len(changes) != 1 || valueOf(t, changes[0]) != "a" || changes[0].GetVersion() != 3 ||
		!changes[0].GetDeletedAt().AsTime().Equal(h.clock.Now()) || !changes[0].GetModifiedAt().AsTime().Equal(h.clock.Now()) {
		t.Errorf("change of the delete = %v, want r1 with its data, deleted now at version 3", changes)
	}

	q, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute, Limit: 10})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute + "/r2"}, ids(q.GetRecords())); diff != "" {
		t.Errorf("query after delete (-want +got):\n%s", diff)
	}

	// Deleting what was never written changes nothing: no version, no
	// change, no type.
	h.put(t, tombstone(typePolicy, "ghost"))
	if got := h.latest(t); got != 3 {
		t.Errorf("latest record version after deleting nothing = %d, want 3", got)
	}
	types, err := h.client.ListTypes(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("list types: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute}, types.GetTypes()); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	// A type whose records are all deleted is not listed either.
	h.put(t, tombstone(typeRoute, "r2"))
	if types, err = h.client.ListTypes(h.ctx(t), &emptypb.Empty{}); err != nil || len(types.GetTypes()) != 0 {
		t.Errorf("types after deleting every record: %v, %v", types.GetTypes(), err)
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t,
		record(typeRoute, "r1", "alpha.example.com"),
		record(typeRoute, "r2", "beta.example.com"),
		record(typeRoute, "r3", "gamma.internal"),
		record(typePolicy, "p1", "Alpha policy"),
	)
	h.put(t, record(typeRoute, "r1", "alpha.example.com")) // moves r1 last

	mustStruct := func(m map[string]any) *structpb.Struct {
		s, err := structpb.NewStruct(m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	byID := &pb.QueryRequest{Type: typeRoute, Limit: 10}
	byID.SetFilterByID("r2")
	byIDOrIndex := &pb.QueryRequest{Type: typeRoute, Limit: 10}
	byIDOrIndex.SetFilterByIDOrIndex("r3")

	tests := []struct {
		name  string
		req   *pb.QueryRequest
		want  []string
		total int64
	}{
		{"all of a type in id order", &pb.QueryRequest{Type: typeRoute, Limit: 10},
			[]string{"r1", "r2", "r3"}, 3},
		{"every type in type and id order", &pb.QueryRequest{Limit: 10},
			[]string{"p1", "r1", "r2", "r3"}, 4},
		{"filter by id", byID, []string{"r2"}, 1},
		{"id or index", byIDOrIndex, []string{"r3"}, 1},
		{"or in id order", &pb.QueryRequest{Type: typeRoute, Limit: 10, Filter: mustStruct(map[string]any{
			"$or": []any{map[string]any{"id": "r3"}, map[string]any{"id": "r2"}},
		})}, []string{"r2", "r3"}, 2},
		{"query string ignores case", &pb.QueryRequest{Limit: 10, Query: "ALPHA"},
			[]string{"p1", "r1"}, 2},
		{"paged", &pb.QueryRequest{Type: typeRoute, Offset: 1, Limit: 1}, []string{"r2"}, 3},
		{"limit zero returns no records", &pb.QueryRequest{Type: typeRoute}, nil, 3},
		{"unindexed field matches nothing", &pb.QueryRequest{Type: typeRoute, Limit: 10,
			Filter: mustStruct(map[string]any{"value": "beta.example.com"})}, nil, 0},
		{"empty filter matches nothing", &pb.QueryRequest{Type: typeRoute, Limit: 10,
			Filter: &structpb.Struct{}}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := h.client.Query(h.ctx(t), tc.req)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			var got []string
			for _, r := range res.GetRecords() {
				got = append(got, r.GetId())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if res.GetTotalCount() != tc.total {
				t.Errorf("total_count = %d, want %d", res.GetTotalCount(), tc.total)
			}
			if res.GetServerVersion() != h.srv.ServerVersion() || res.GetRecordVersion() != 5 {
				t.Errorf("versions = %d/%d, want %d/5", res.GetServerVersion(), res.GetRecordVersion(), h.srv.ServerVersion())
			}
		})
	}

	errs := []struct {
		name string
		req  *pb.QueryRequest
		want codes.Code
	}{
		{"malformed filter", &pb.QueryRequest{Filter: mustStruct(map[string]any{"$or": "r1"})}, codes.InvalidArgument},
		{"negative offset", &pb.QueryRequest{Offset: -1}, codes.InvalidArgument},
		{"not", &pb.QueryRequest{Type: typeRoute, Filter: mustStruct(map[string]any{"$not": map[string]any{"id": "r1"}})}, codes.Unimplemented},
		{"operator", &pb.QueryRequest{Type: typeRoute, Filter: mustStruct(map[string]any{"id": map[string]any{"$startsWith": "r"}})}, codes.Unimplemented},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Query(h.ctx(t), tc.req)
			wantCode(t, err, tc.want)
		})
	}
}

func TestQueryIndexableField(t *testing.T) {
	t.Parallel()
	h := start(t)
	_, err := h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{IndexableFields: []string{"value"}}})
	if err != nil {
		t.Fatalf("set options: %v", err)
	}
	h.put(t, record(typeRoute, "r1", "shared"), record(typeRoute, "r2", "other"), record(typeRoute, "r3", "shared"))

	res, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute, Limit: 10,
		Filter: &structpb.Struct{Fields: map[string]*structpb.Value{"value": structpb.NewStringValue("shared")}}})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute + "/r1", typeRoute + "/r3"}, ids(res.GetRecords())); diff != "" {
		t.Errorf("indexed query (-want +got):\n%s", diff)
	}
}

func TestClear(t *testing.T) {
	t.Parallel()
	h := start(t)

	// Every Clear starts a new history, even of an empty server.
	empty, err := h.client.Clear(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("clear: %v", err)
	}
	if empty.GetOldServerVersion() == empty.GetNewServerVersion() {
		t.Errorf("clearing an empty server kept its version")
	}

	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"))
	res, err := h.client.Clear(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("clear: %v", err)
	}
	if res.GetOldServerVersion() == res.GetNewServerVersion() || res.GetNewServerVersion() != h.srv.ServerVersion() {
		t.Errorf("clear answered %v with server version %d", res, h.srv.ServerVersion())
	}
	_, err = h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"})
	wantCode(t, err, codes.NotFound)
	if v := h.put(t, record(typeRoute, "r3", "c")).GetRecord().GetVersion(); v != 1 {
		t.Errorf("first version after clear = %d, want 1", v)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	h := start(t)

	_, err := h.client.GetOptions(h.ctx(t), &pb.GetOptionsRequest{})
	wantCode(t, err, codes.InvalidArgument)
	_, err = h.client.GetOptions(h.ctx(t), &pb.GetOptionsRequest{Type: typeRoute})
	wantCode(t, err, codes.NotFound)

	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"), record(typeRoute, "r3", "c"))
	capacity := uint64(2)
	set, err := h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{Capacity: &capacity}})
	if err != nil {
		t.Fatalf("set options: %v", err)
	}
	if set.GetOptions().GetCapacity() != 2 {
		t.Errorf("set options answered %v", set.GetOptions())
	}
	// The capacity takes effect at the type's next Put, which deletes the
	// records past it counting from the newest, newest first.
	if got := h.latest(t); got != 3 {
		t.Errorf("latest after setting a capacity = %d, want 3 (nothing deleted yet)", got)
	}
	h.put(t, record(typeRoute, "r4", "d"))
	q, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute, Limit: 10})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute + "/r3", typeRoute + "/r4"}, ids(q.GetRecords())); diff != "" {
		t.Errorf("records within capacity (-want +got):\n%s", diff)
	}
	var deleted []string
	for _, c := range h.changes(t, typeRoute, 4) {
		deleted = append(deleted, fmt.Sprintf("%s@%d", c.GetId(), c.GetVersion()))
	}
	if diff := cmp.Diff([]string{"r2@5", "r1@6"}, deleted); diff != "" {
		t.Errorf("evictions (-want +got):\n%s", diff)
	}

	_, err = h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{}})
	wantCode(t, err, codes.NotFound)
}

// TestTTL: records of a type with a ttl option are deleted once they were
// last written longer ago than it, the deletes streamed like any other.
func TestTTL(t *testing.T) {
	t.Parallel()
	h := start(t)
	if _, err := h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute,
		Options: &pb.Options{Ttl: durationpb.New(time.Minute)}}); err != nil {
		t.Fatalf("set options: %v", err)
	}
	h.put(t, record(typeRoute, "old", "a"), record(typePolicy, "other type", "b"))
	h.clock.Advance(40 * time.Second)
	h.put(t, record(typeRoute, "new", "c"))
	h.clock.Advance(21 * time.Second)
	if got := h.latest(t); got != 4 {
		t.Fatalf("latest after the ttl passed = %d, want 4 (one delete)", got)
	}
	_, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "old"})
	wantCode(t, err, codes.NotFound)
	for _, id := range []string{"new"} {
		if _, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: id}); err != nil {
			t.Errorf("get %s: %v", id, err)
		}
	}
	if _, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typePolicy, Id: "other type"}); err != nil {
		t.Errorf("a record of a type without ttl expired: %v", err)
	}
	if c := h.changes(t, typeRoute, 3); len(c) != 1 || c[0].GetId() != "old" || c[0].GetDeletedAt() == nil {
		t.Errorf("changes after the expiry = %v, want the delete of old", c)
	}
}

// TestPresetOptions: a new server has the options Pomerium's databroker
// gives its own types when it starts, and a Clear drops them.
func TestPresetOptions(t *testing.T) {
	t.Parallel()
	h := start(t)
	const bindingRequests = "type.googleapis.com/session.SessionBindingRequest"
	got, err := h.client.GetOptions(h.ctx(t), &pb.GetOptionsRequest{Type: bindingRequests})
	if err != nil || got.GetOptions().GetCapacity() != 50000 || got.GetOptions().GetTtl().AsDuration() != 15*time.Minute {
		t.Fatalf("options of %s: %v, %v", bindingRequests, got.GetOptions(), err)
	}
	if _, err := h.client.Clear(h.ctx(t), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetOptions(h.ctx(t), &pb.GetOptionsRequest{Type: bindingRequests})
	wantCode(t, err, codes.NotFound)
}

func TestPatch(t *testing.T) {
	t.Parallel()
	h := start(t)
	const sessions = "type.googleapis.com/session.Session"
	stored := &sessionpb.Session{Id: "s1", UserId: "u1", Audience: []string{"a"}, IdToken: &sessionpb.IDToken{Issuer: "idp", Subject: "u1"}}
	data, err := anypb.New(stored)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Put(h.ctx(t), &pb.PutRequest{Records: []*pb.Record{{Type: sessions, Id: "s1", Data: data}}}); err != nil {
		t.Fatal(err)
	}
	patch := func(s *sessionpb.Session, id string, paths ...string) *pb.PatchResponse {
		t.Helper()
		data, err := anypb.New(s)
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.client.Patch(h.ctx(t), &pb.PatchRequest{
			Records: []*pb.Record{{Type: sessions, Id: id, Data: data}}, FieldMask: &fieldmaskpb.FieldMask{Paths: paths},
		})
		if err != nil {
			t.Fatalf("patch %v: %v", paths, err)
		}
		return res
	}
	read := func() *sessionpb.Session {
		t.Helper()
		res, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: sessions, Id: "s1"})
		if err != nil {
			t.Fatal(err)
		}
		var got sessionpb.Session
		if err := res.GetRecord().GetData().UnmarshalTo(&got); err != nil {
			t.Fatal(err)
		}
		return &got
	}
	// Only the named fields change; the rest of the stored record stays.
	res := patch(&sessionpb.Session{UserId: "ignored", ImpersonateSessionId: new("s2"), IdToken: &sessionpb.IDToken{Subject: "other"}},
		"s1", "impersonate_session_id", "id_token.subject")
	if len(res.GetRecords()) != 1 || res.GetRecords()[0].GetVersion() == 0 {
		t.Fatalf("patch answered %v", res.GetRecords())
	}
	got := read()
	want := &sessionpb.Session{Id: "s1", UserId: "u1", Audience: []string{"a"}, ImpersonateSessionId: new("s2"), IdToken: &sessionpb.IDToken{Issuer: "idp", Subject: "other"}}
	if !proto.Equal(got, want) {
		t.Fatalf("after patch: %v, want %v", got, want)
	}
	// A named field the patch leaves unset is cleared.
	patch(&sessionpb.Session{}, "s1", "impersonate_session_id")
	if got := read(); got.ImpersonateSessionId != nil || got.GetUserId() != "u1" {
		t.Fatalf("after clearing: %v", got)
	}
	// A record that is not stored is skipped.
	if res := patch(&sessionpb.Session{}, "missing", "user_id"); len(res.GetRecords()) != 0 {
		t.Fatalf("patch of a missing record answered %v", res.GetRecords())
	}
	// A path that names no field is refused.
	data, _ = anypb.New(&sessionpb.Session{})
	_, err = h.client.Patch(h.ctx(t), &pb.PatchRequest{Records: []*pb.Record{{Type: sessions, Id: "s1", Data: data}}, FieldMask: &fieldmaskpb.FieldMask{Paths: []string{"nope"}}})
	wantCode(t, err, codes.InvalidArgument)
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	h := start(t)
	cp := pb.NewCheckpointServiceClient(h.conn)
	_, err := cp.SetCheckpoint(h.ctx(t), &pb.SetCheckpointRequest{Checkpoint: &pb.Checkpoint{ServerVersion: 7, RecordVersion: 9}})
	if err != nil {
		t.Fatalf("set checkpoint: %v", err)
	}
	got, err := cp.GetCheckpoint(h.ctx(t), &pb.GetCheckpointRequest{})
	if err != nil {
		t.Fatalf("get checkpoint: %v", err)
	}
	if got.GetCheckpoint().GetServerVersion() != 7 || got.GetCheckpoint().GetRecordVersion() != 9 {
		t.Errorf("checkpoint = %v", got.GetCheckpoint())
	}
}

package memory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
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

	del := h.put(t, tombstone(typeRoute, "r1"))
	if del.GetRecord().GetVersion() != 3 || del.GetRecord().GetDeletedAt() == nil {
		t.Errorf("delete answered %v, want version 3 with deleted_at", del.GetRecord())
	}
	_, err := h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"})
	wantCode(t, err, codes.NotFound)

	q, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute, Limit: 10})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute + "/r2"}, ids(q.GetRecords())); diff != "" {
		t.Errorf("query after delete (-want +got):\n%s", diff)
	}

	// Deleting what was never written is still a versioned change, and
	// makes the type known.
	if v := h.put(t, tombstone(typePolicy, "ghost")).GetRecord().GetVersion(); v != 4 {
		t.Errorf("tombstone of unknown record got version %d, want 4", v)
	}
	types, err := h.client.ListTypes(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("list types: %v", err)
	}
	if diff := cmp.Diff([]string{typePolicy, typeRoute}, types.GetTypes()); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
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
		{"all of a type in insertion order", &pb.QueryRequest{Type: typeRoute, Limit: 10},
			[]string{"r2", "r3", "r1"}, 3},
		{"every type in type order", &pb.QueryRequest{Limit: 10},
			[]string{"p1", "r2", "r3", "r1"}, 4},
		{"filter by id", byID, []string{"r2"}, 1},
		{"id or index", byIDOrIndex, []string{"r3"}, 1},
		{"or keeps the filter's order", &pb.QueryRequest{Type: typeRoute, Limit: 10, Filter: mustStruct(map[string]any{
			"$or": []any{map[string]any{"id": "r3"}, map[string]any{"id": "r2"}},
		})}, []string{"r3", "r2"}, 2},
		{"query string ignores case", &pb.QueryRequest{Limit: 10, Query: "ALPHA"},
			[]string{"p1", "r1"}, 2},
		{"paged", &pb.QueryRequest{Type: typeRoute, Offset: 1, Limit: 1}, []string{"r3"}, 3},
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

	empty, err := h.client.Clear(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("clear: %v", err)
	}
	if empty.GetOldServerVersion() != empty.GetNewServerVersion() {
		t.Errorf("clearing an empty server changed its version")
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
	// The oldest record went out as a tombstone with its own version.
	_, err = h.client.Get(h.ctx(t), &pb.GetRequest{Type: typeRoute, Id: "r1"})
	wantCode(t, err, codes.NotFound)
	if got := h.latest(t); got != 4 {
		t.Errorf("latest after eviction = %d, want 4", got)
	}
	h.put(t, record(typeRoute, "r4", "d"))
	q, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute, Limit: 10})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if diff := cmp.Diff([]string{typeRoute + "/r3", typeRoute + "/r4"}, ids(q.GetRecords())); diff != "" {
		t.Errorf("records within capacity (-want +got):\n%s", diff)
	}

	_, err = h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{}})
	wantCode(t, err, codes.NotFound)
}

func TestPatchIsUnimplemented(t *testing.T) {
	t.Parallel()
	h := start(t)
	_, err := h.client.Patch(h.ctx(t), &pb.PatchRequest{Records: []*pb.Record{record(typeRoute, "r1", "a")}})
	wantCode(t, err, codes.Unimplemented)
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

package reconcile

import (
	"slices"
	"strings"
	"testing"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// The view keeps an object's record and the status handed over for it in
// one row: either goes without the other, the record's count and lists
// leave out a row that holds only a status, and a row that holds neither
// is dropped.
func TestViewRowsKeepRecordAndStatusApart(t *testing.T) {
	v := NewView()
	key := compile.ObjectKey{Kind: store.KindRoute, ID: "c0000000-0000-4000-8000-000000000001"}
	other := compile.ObjectKey{Kind: store.KindRoute, ID: "c0000000-0000-4000-8000-000000000002"}
	rec := &pb.Record{Type: compile.RecordTypeRoute, Id: key.ID, Version: 7,
		Data: &anypb.Any{TypeUrl: compile.RecordTypeRoute, Value: []byte{1}}}
	if _, err := v.ObserveWritten(rec, rec); err != nil {
		t.Fatal(err)
	}
	synced := store.ObjectStatus{Kind: key.Kind, ID: key.ID, ObjectVersion: 3, State: store.SyncSynced, RecordVersion: 7}
	invalid := store.ObjectStatus{Kind: other.Kind, ID: other.ID, ObjectVersion: 4, State: store.SyncError, Reason: "bad", Field: "to"}
	for _, s := range []store.ObjectStatus{synced, invalid} {
		if !v.handOver(s) {
			t.Fatalf("%s: a first status handed over reports no change", s.ID)
		}
	}
	if v.handOver(synced) {
		t.Error("the same status handed over again reports a change")
	}
	// A kind without records keeps no status.
	if v.handOver(store.ObjectStatus{Kind: store.KindNamespace, ID: "n"}) {
		t.Error("a namespace's status was kept")
	}
	records := func() (n int, keys []compile.ObjectKey) {
		n, _ = v.count(compile.RecordTypeRoute)
		return n, v.Keys()
	}
	handed := func() []compile.ObjectKey {
		keys := v.handedKeys()
		slices.SortFunc(keys, func(a, b compile.ObjectKey) int { return strings.Compare(a.ID, b.ID) })
		return keys
	}
	if n, keys := records(); n != 1 || v.Len() != 1 || !slices.Equal(keys, []compile.ObjectKey{key}) {
		t.Errorf("one record and two statuses: count %d, Len %d, Keys %v; want one record of %s", n, v.Len(), keys, key.ID)
	}
	if got := handed(); !slices.Equal(got, []compile.ObjectKey{key, other}) {
		t.Errorf("statuses handed over for %v, want both objects", got)
	}
	if _, ok := v.Get(compile.RecordTypeRoute, other.ID); ok {
		t.Error("Get finds a record of an object that has only a status")
	}

	// The record goes (a tombstone): its status stays.
	gone := &pb.Record{Type: rec.Type, Id: key.ID, Version: 8, DeletedAt: timestamppb.Now()}
	if changed, err := v.Observe(gone); err != nil || !changed {
		t.Fatalf("tombstone: changed %t, %v; want a change", changed, err)
	}
	if n, keys := records(); n != 0 || v.Len() != 0 || len(keys) != 0 {
		t.Errorf("after the tombstone: count %d, Len %d, Keys %v; want no record", n, v.Len(), keys)
	}
	if s, ok := v.handedOver(key); !ok || !s.is(synced) {
		t.Errorf("after the tombstone the status handed over is %+v (%t), want the synced one", s, ok)
	}

	// The status goes too: nothing of the object is left.
	v.forgetStatus(key)
	if _, ok := v.handedOver(key); ok {
		t.Error("a forgotten status is still handed over")
	}
	v.mu.Lock()
	_, held := v.rows[compile.RecordTypeRoute][key.ID]
	rows := len(v.rows[compile.RecordTypeRoute])
	v.mu.Unlock()
	if held || rows != 1 {
		t.Errorf("a row with neither record nor status is kept (%t), %d rows; want only the other object's", held, rows)
	}

	// A record arriving for an object with only a status keeps the status.
	back := &pb.Record{Type: rec.Type, Id: other.ID, Version: 9, Data: rec.Data}
	if _, err := v.ObserveWritten(back, back); err != nil {
		t.Fatal(err)
	}
	if s, ok := v.handedOver(other); !ok || !s.is(invalid) {
		t.Errorf("the status of an object whose record came is %+v (%t), want the invalid one", s, ok)
	}
	if n, keys := records(); n != 1 || !slices.Equal(keys, []compile.ObjectKey{other}) {
		t.Errorf("after the record came: count %d, Keys %v; want one record of %s", n, keys, other.ID)
	}
}

// handOver keeps s as the status handed over for its object, as
// handOverFound keeps the status it derives.
func (v *View) handOver(s store.ObjectStatus) bool {
	rt, ok := typeOfKind(s.Kind)
	if !ok {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.handOverLocked(rt.Type, v.rows[rt.Type][s.ID], s)
}

// TestViewTakesEchoesOfWritesUnderWay: a record a Sync stream brings while
// the Put writing it has not answered yet is taken as that write, not as
// drift, when it carries the data sent; other data is drift, and so is
// the same data once the Put has answered and the view holds something
// else.
func TestViewTakesEchoesOfWritesUnderWay(t *testing.T) {
	id := "c0000000-0000-4000-8000-000000000001"
	record := func(version uint64, from string) *pb.Record {
		data, err := anypb.New(&configpb.Route{Id: &id, OriginatorId: new(compile.OriginatorID), From: from})
		if err != nil {
			t.Fatal(err)
		}
		return &pb.Record{Type: compile.RecordTypeRoute, Id: id, Version: version, Data: data}
	}
	v := NewView()
	sent := record(0, "https://sent.example.com")
	v.Sending([]*pb.Record{sent})
	observe := func(what string, rec *pb.Record, wantChanged bool) {
		t.Helper()
		changed, err := v.Observe(rec)
		if err != nil || changed != wantChanged {
			t.Fatalf("%s: changed %t, %v; want %t", what, changed, err, wantChanged)
		}
		got, ok := v.Get(compile.RecordTypeRoute, id)
		if want := (entry{Version: rec.Version, Digest: compile.DigestOf(rec.Data.Value)}); !ok || got != want {
			t.Fatalf("%s: the view holds %+v (%t), want %+v", what, got, ok, want)
		}
	}
	observe("the echo of the write under way", record(9, "https://sent.example.com"), false)
	observe("another writer's data", record(10, "https://other.example.com"), true)
	v.Sent([]*pb.Record{sent})
	observe("the sent data after the Put answered", record(11, "https://sent.example.com"), true)

	// What a Sync stream leaves undecoded: a record the view holds at that
	// version or a later one.
	held := v.Held(compile.RecordTypeRoute)
	for _, c := range []struct {
		id      string
		version uint64
		want    bool
	}{{id, 11, true}, {id, 10, true}, {id, 12, false}, {id, 0, false}, {"c0000000-0000-4000-8000-000000000002", 1, false}} {
		if got := held([]byte(c.id), c.version); got != c.want {
			t.Errorf("held %s at %d: %t, want %t", c.id, c.version, got, c.want)
		}
	}
	if v.Held("pomerium.config.Settings")([]byte(id), 11) {
		t.Error("a route held as a record of another type")
	}
	gone := record(12, "https://sent.example.com")
	gone.DeletedAt = timestamppb.Now()
	if _, err := v.Observe(gone); err != nil {
		t.Fatal(err)
	}
	if held([]byte(id), 11) {
		t.Error("a deleted record still held")
	}
}

// handedKeys returns the objects with a status handed over, listed as
// keysOf lists records.
func (v *View) handedKeys() []compile.ObjectKey {
	return v.collect(func(recordType) bool { return true }, func(r row) bool { return r.handed }, 0)
}

// TestViewReserve: room made for the records of a type the view holds none
// of changes nothing it holds; a view that holds some keeps them.
func TestViewReserve(t *testing.T) {
	t.Parallel()
	v := NewView()
	v.Reserve(compile.RecordTypeRoute, 1_000)
	ids := []string{"c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"}
	for i, id := range ids {
		rec := &pb.Record{Type: compile.RecordTypeRoute, Id: id, Version: uint64(7 + i),
			Data: &anypb.Any{TypeUrl: compile.RecordTypeRoute, Value: []byte{byte(i)}}}
		if _, err := v.ObserveWritten(rec, rec); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			v.Reserve(compile.RecordTypeRoute, 1_000)
		}
	}
	for i, id := range ids {
		if rec, ok := v.Get(compile.RecordTypeRoute, id); !ok || rec.Version != uint64(7+i) {
			t.Errorf("record %s: %v (%t), want version %d", id, rec, ok, 7+i)
		}
	}
	if n, _ := v.count(compile.RecordTypeRoute); n != len(ids) || v.Len() != len(ids) {
		t.Errorf("count %d, Len %d; want %d", n, v.Len(), len(ids))
	}
}

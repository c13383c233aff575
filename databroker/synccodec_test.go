package databroker

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const routeType = "pomerium.config.Route"

// TestSyncSkipsHeldRecords: a message of a Sync stream carrying a live
// record of the stream's type that the caller holds is left undecoded and
// its version reported; every other message decodes as the protobuf codec
// decodes it, and the caller is not asked about what it cannot skip.
func TestSyncSkipsHeldRecords(t *testing.T) {
	t.Parallel()
	data, err := anypb.New(wrapperspb.String("a kilobyte of route"))
	if err != nil {
		t.Fatal(err)
	}
	at := timestamppb.New(timestamppb.Now().AsTime())
	record := func(r *pb.Record) []byte {
		return mustMarshal(t, &pb.SyncResponse{Response: &pb.SyncResponse_Record{Record: r}})
	}
	// Clipped: the cases below append to it.
	live := slices.Clip(record(&pb.Record{Version: 7, Type: routeType, Id: "r1", Data: data, ModifiedAt: at}))
	appendField := func(b []byte, num protowire.Number, value []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), value)
	}
	// A record whose data's length says more than is left.
	cutRecord := mustMarshal(t, &pb.Record{Version: 7, Type: routeType, Id: "r1", Data: data})
	cutRecord = cutRecord[:len(cutRecord)-3]
	// A record's fields given again, or a field records do not have,
	// inside the message's one field.
	inRecord := func(extra []byte) []byte {
		rec := append(mustMarshal(t, &pb.Record{Version: 7, Type: routeType, Id: "r1", Data: data}), extra...)
		return appendField(nil, syncRecordField, rec)
	}
	for _, c := range []struct {
		name  string
		wire  []byte
		asked bool // whether held is asked
	}{
		{"deleted", record(&pb.Record{Version: 8, Type: routeType, Id: "r1", Data: data, DeletedAt: at}), false},
		{"another type", record(&pb.Record{Version: 9, Type: "pomerium.config.Settings", Id: "r1", Data: data}), false},
		{"no version", record(&pb.Record{Type: routeType, Id: "r1", Data: data}), false},
		{"no id", record(&pb.Record{Version: 10, Type: routeType, Data: data}), false},
		{"options", mustMarshal(t, &pb.SyncResponse{Response: &pb.SyncResponse_Options{Options: &pb.TypedOptions{TypeURL: routeType}}}), false},
		{"id twice", inRecord(appendField(nil, recordIDField, []byte("r2"))), false},
		{"a field records lack", inRecord(appendField(nil, 99, []byte("later field"))), false},
		{"a field after the record", appendField(live, 99, []byte("later field")), false},
		{"the record twice", append(live, live...), false},
		{"a version of the wrong wire type", inRecord(appendField(nil, recordVersionField, []byte{7})), false},
		{"a field numbered 7", inRecord(protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.VarintType), 1)), false},
		{"a record cut short inside", appendField(nil, syncRecordField, cutRecord), false},
		{"not held", live, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			asked := false
			codec := newSyncCodec(routeType, func([]byte, uint64) bool { asked = true; return !c.asked })
			got := &pb.SyncResponse{}
			err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(c.wire)}, got)
			want := &pb.SyncResponse{}
			if whole := proto.Unmarshal(c.wire, want); (err == nil) != (whole == nil) {
				t.Fatalf("decoding says %v, where the protobuf codec says %v", err, whole)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); (err == nil && diff != "") || codec.skipped != 0 {
				t.Errorf("decoded (-want +got), skipped %d:\n%s", codec.skipped, diff)
			}
			if asked != c.asked {
				t.Errorf("held asked: %v, want %v", asked, c.asked)
			}
		})
	}

	t.Run("held", func(t *testing.T) {
		var askedID string
		var askedVersion uint64
		codec := newSyncCodec(routeType, func(id []byte, version uint64) bool {
			askedID, askedVersion = string(id), version
			return true
		})
		got := &pb.SyncResponse{Response: &pb.SyncResponse_Options{}} // what a message before left
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(live)}, got); err != nil {
			t.Fatal(err)
		}
		if askedID != "r1" || askedVersion != 7 || codec.skipped != 7 || got.Response != nil {
			t.Errorf("held asked about %q at %d; skipped %d, message %v; want r1 at 7, skipped 7, an empty message",
				askedID, askedVersion, codec.skipped, got)
		}
		// A tag written longer than it needs to be (the id's, in two
		// bytes) is read as the protobuf codec reads it.
		longTag := []byte{byte(protowire.EncodeTag(recordIDField, protowire.BytesType)) | 0x80, 0}
		rec := append(mustMarshal(t, &pb.Record{Version: 9, Type: routeType, Data: data}), append(longTag, protowire.AppendBytes(nil, []byte("r9"))...)...)
		var whole pb.Record
		if err := proto.Unmarshal(rec, &whole); err != nil || whole.Id != "r9" {
			t.Fatalf("the record with a long tag decodes as %v (%v)", &whole, err)
		}
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(appendField(nil, syncRecordField, rec))}, got); err != nil ||
			askedID != "r9" || askedVersion != 9 || codec.skipped != 9 {
			t.Errorf("with a long tag: held asked about %q at %d, skipped %d (%v); want r9 at 9, skipped", askedID, askedVersion, codec.skipped, err)
		}
		// The next message starts afresh.
		next := record(&pb.Record{Version: 8, Type: routeType, Id: "r2", Data: data})
		codec.held = func([]byte, uint64) bool { return false }
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(next)}, got); err != nil || codec.skipped != 0 || got.GetRecord().GetId() != "r2" {
			t.Errorf("the message after: %v, skipped %d (%v); want r2 decoded", got, codec.skipped, err)
		}
	})

	t.Run("cut", func(t *testing.T) {
		// A message cut short is refused where the protobuf codec refuses
		// it, and never skipped.
		codec := newSyncCodec(routeType, func([]byte, uint64) bool { return true })
		for cut := 1; cut < len(live); cut++ {
			err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(live[:cut])}, &pb.SyncResponse{})
			whole := proto.Unmarshal(live[:cut], &pb.SyncResponse{})
			if (err == nil) != (whole == nil) || codec.skipped != 0 {
				t.Errorf("a message cut after %d of %d bytes: %v, skipped %d, where the protobuf codec says %v",
					cut, len(live), err, codec.skipped, whole)
			}
		}
	})

	t.Run("other messages", func(t *testing.T) {
		codec := newSyncCodec(routeType, func([]byte, uint64) bool { return true })
		rec := &pb.Record{}
		wire := mustMarshal(t, &pb.Record{Version: 7, Type: routeType, Id: "r1", Data: data})
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, rec); err != nil || rec.GetData() == nil || codec.skipped != 0 {
			t.Errorf("a record decoded as %v (%v), want it whole", rec, err)
		}
	})
}

// BenchmarkSyncEcho decodes a Sync stream's message of a route record of
// about a kilobyte, as the protobuf codec does (whole) and as syncCodec
// does when the caller holds the record.
func BenchmarkSyncEcho(b *testing.B) {
	data, err := anypb.New(wrapperspb.String(strings.Repeat("x", 1000)))
	if err != nil {
		b.Fatal(err)
	}
	wire := mustMarshal(b, &pb.SyncResponse{Response: &pb.SyncResponse_Record{Record: &pb.Record{Version: 12345, Type: routeType,
		Id: fmt.Sprintf("%08x-0000-4000-8000-000000000000", 1), Data: data, ModifiedAt: timestamppb.Now()}}})
	for _, c := range []struct {
		name  string
		codec encoding.CodecV2
	}{{"whole", encoding.GetCodecV2("proto")}, {"held", newSyncCodec(routeType, func([]byte, uint64) bool { return true })}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &pb.SyncResponse{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

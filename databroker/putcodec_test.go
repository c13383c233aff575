package databroker

import (
	"fmt"
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

// TestPutAnswerLeavesOutData: a Put's answer decodes as the protobuf
// codec decodes it, but for its records' data: every other field, and
// fields this build does not know, at the top and in a record, are kept.
func TestPutAnswerLeavesOutData(t *testing.T) {
	t.Parallel()
	data, err := anypb.New(wrapperspb.String("a kilobyte of route"))
	if err != nil {
		t.Fatal(err)
	}
	at := timestamppb.New(timestamppb.Now().AsTime())
	unknown := protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte("later field"))
	live := &pb.Record{Version: 7, Type: "pomerium.config.Route", Id: "r1", Data: data, ModifiedAt: at}
	live.ProtoReflect().SetUnknown(unknown)
	gone := &pb.Record{Version: 8, Type: "pomerium.config.Route", Id: "r2", Data: data, ModifiedAt: at, DeletedAt: at}
	bare := &pb.Record{Version: 9, Type: "pomerium.config.Route", Id: "r3"}
	answer := &pb.PutResponse{ServerVersion: 42, Records: []*pb.Record{live, gone, bare}}
	answer.ProtoReflect().SetUnknown(unknown)
	wire := mustMarshal(t, answer)
	got := &pb.PutResponse{}
	if err := newPutCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(answer).(*pb.PutResponse)
	for _, r := range want.Records {
		r.Data = nil
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("decoded answer (-want +got):\n%s", diff)
	}
	// An answer cut short is refused where the protobuf codec refuses it
	// (a cut between two fields leaves a shorter answer).
	for cut := 1; cut < len(wire); cut++ {
		err := newPutCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire[:cut])}, &pb.PutResponse{})
		whole := proto.Unmarshal(wire[:cut], &pb.PutResponse{})
		if (err == nil) != (whole == nil) {
			t.Errorf("an answer cut after %d of %d bytes: %v, where the protobuf codec says %v", cut, len(wire), err, whole)
		}
	}
	// Other messages decode whole.
	rec := &pb.Record{}
	if err := newPutCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(mustMarshal(t, live))}, rec); err != nil || rec.GetData() == nil {
		t.Errorf("a record decoded as %v (%v), want its data kept", rec, err)
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkPutAnswer decodes the answer to a Put of 2,000 records of about
// a kilobyte each, as the protobuf codec does (whole) and as putCodec does.
func BenchmarkPutAnswer(b *testing.B) {
	data, err := anypb.New(wrapperspb.String(strings.Repeat("x", 1000)))
	if err != nil {
		b.Fatal(err)
	}
	answer := &pb.PutResponse{ServerVersion: 42}
	for i := range 2000 {
		answer.Records = append(answer.Records, &pb.Record{Version: uint64(i + 1), Type: "pomerium.config.Route",
			Id: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Data: data, ModifiedAt: timestamppb.Now()})
	}
	wire := mustMarshal(b, answer)
	for _, c := range []struct {
		name  string
		codec encoding.CodecV2
	}{{"whole", encoding.GetCodecV2("proto")}, {"without-data", newPutCodec()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &pb.PutResponse{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/record")
		})
	}
}

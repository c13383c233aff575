package memory

import (
	"fmt"
	"strings"
	"testing"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// routeSized returns n records of about size bytes each.
func routeSized(n, size int) []*pb.Record {
	out := make([]*pb.Record, n)
	for i := range out {
		id := fmt.Sprintf("route-%06d", i)
		out[i] = record(typeRoute, id, id+strings.Repeat("x", size))
	}
	return out
}

// The module's batching helpers must fit under this server's message limit,
// which is the one Pomerium enforces.
func TestPutMultiAndOptimumPutRequests(t *testing.T) {
	t.Parallel()
	h := start(t)
	records := routeSized(3000, 1024)

	reqs := pb.OptimumPutRequestsFromRecords(records)
	if len(reqs) < 3 {
		t.Fatalf("%d KiB of records went into %d requests; want them split", proto.Size(&pb.PutRequest{Records: records})>>10, len(reqs))
	}
	for _, req := range reqs {
		if _, err := h.client.Put(h.ctx(t), req); err != nil {
			t.Fatalf("put one of %d optimum requests: %v", len(reqs), err)
		}
	}
	if err := pb.PutMulti(h.ctx(t), h.client, records...); err != nil {
		t.Fatalf("put multi: %v", err)
	}
	if got := h.latest(t); got != 6000 {
		t.Errorf("latest record version = %d, want 6000", got)
	}
	q, err := h.client.Query(h.ctx(t), &pb.QueryRequest{Type: typeRoute})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if q.GetTotalCount() != 3000 {
		t.Errorf("total_count = %d, want 3000", q.GetTotalCount())
	}
}

func TestPutOverMessageLimitIsRefused(t *testing.T) {
	t.Parallel()
	h := start(t)
	_, err := h.client.Put(h.ctx(t), &pb.PutRequest{Records: routeSized(5000, 1024)})
	wantCode(t, err, codes.ResourceExhausted)
	if got := h.latest(t); got != 0 {
		t.Errorf("a refused put stored records up to version %d", got)
	}
}

// BenchmarkPut measures batched Puts of route-sized (~1 KiB) records over
// a loopback socket, the way the console writes: PutMulti of a change set.
func BenchmarkPut(b *testing.B) {
	const batch = 1000
	// Bounding the change log keeps the benchmark's memory flat however
	// long it runs; the trimming it adds to each Put is part of the cost.
	h := start(b, func(o *Options) { o.MaxChanges = 100 * batch })
	records := routeSized(batch, 1024)
	ctx := h.ctx(b)
	written := 0
	for b.Loop() {
		if err := pb.PutMulti(ctx, h.client, records...); err != nil {
			b.Fatalf("put multi: %v", err)
		}
		written += batch
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "records/s")
}

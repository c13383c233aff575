package api_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
)

// BenchmarkAPISessions measures ListPomeriumSessions over gRPC with 100,000
// sessions (2,000 users with 50 each, written as Pomerium writes them) in
// the embedded databroker and in Pomerium's own: the first page of 50,
// newest first; one user's sessions; a search by email. Each reports the
// median of 5 calls. Run it once:
// go test -run '^$' -bench APISessions -benchtime 1x ./server/api/
func BenchmarkAPISessions(b *testing.B) {
	const users, perUser = 2000, 50
	for _, backend := range []string{"embedded", "pomerium"} {
		b.Run("databroker="+backend, func(b *testing.B) {
			e := newEnv(b)
			if backend == "pomerium" {
				e.broker = startPomerium(b)
			}
			start := time.Now()
			seedManySessions(b, e.broker, users, perUser)
			b.Logf("%d sessions written in %v", users*perUser, time.Since(start).Round(time.Millisecond))
			api := e.sessionAPI("grpc", e.adminToken())
			for _, c := range []struct {
				name string
				req  *pb.ListPomeriumSessionsRequest
				want int
			}{
				{"first-page", &pb.ListPomeriumSessionsRequest{Limit: new(int64(50))}, 50},
				{"one-user", &pb.ListPomeriumSessionsRequest{UserId: new("u-1234")}, perUser},
				{"search-email", &pb.ListPomeriumSessionsRequest{Query: new("user-1234@"), Limit: new(int64(50))}, perUser},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						var times []time.Duration
						for range 5 {
							t0 := time.Now()
							res, err := api.list(context.Background(), c.req)
							times = append(times, time.Since(t0))
							if err != nil {
								b.Fatal(err)
							}
							if len(res.Sessions) != c.want || res.TotalCount < int64(c.want) {
								b.Fatalf("%d sessions of %d, want %d", len(res.Sessions), res.TotalCount, c.want)
							}
						}
						slices.Sort(times)
						b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/list")
					}
				})
			}
		})
	}
}

// seedManySessions writes users*perUser sessions into broker, in batches
// of 1,000.
func seedManySessions(b *testing.B, broker *databroker.Client, users, perUser int) {
	b.Helper()
	now := time.Now()
	var batch []*databrokerpb.Record
	flush := func() {
		if _, err := broker.Put(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for u := range users {
		uid := fmt.Sprintf("u-%d", u)
		email := fmt.Sprintf("user-%d@example.com", u)
		for i := range perUser {
			id := fmt.Sprintf("s-%d-%d", u, i)
			data, err := anypb.New(pomeriumSession(id, uid, email, now.Add(-time.Duration(u*perUser+i)*time.Second)))
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, &databrokerpb.Record{Type: sessionType, Id: id, Data: data})
			if len(batch) == 1000 {
				flush()
			}
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// BenchmarkConfigService measures ConfigService beside the dashboard API on
// the same console (PostgreSQL, TLS, gRPC clients) holding 100,000 routes:
// creating, reading and listing (a page of 100) routes, in calls a second
// at 1, 8 and 64 concurrent clients. Run it once:
// go test -run '^$' -bench ConfigService -benchtime 1x ./server/api/
func BenchmarkConfigService(b *testing.B) {
	e := newEnv(b)
	ns := e.namespace(store.GlobalNamespaceID, "Bench")
	e.seedRoutes(b, ns.ID, 100_000)
	token := e.adminToken()
	ctx := as(context.Background(), token)
	dash := pb.NewRouteServiceClient(e.conn)
	cs := configpb.NewConfigServiceClient(e.conn)
	type face struct {
		create func(i int) (string, error)
		get    func(id string) error
		list   func(i int) error
	}
	faces := map[string]face{
		"dashboard": {
			create: func(i int) (string, error) {
				res, err := dash.SetRoute(ctx, &pb.SetRouteRequest{Route: newRoute(ns.ID, fmt.Sprintf("d-%d", i), fmt.Sprintf("https://d-%d.example.com", i))})
				return res.GetRoute().GetId(), err
			},
			get: func(id string) error { _, err := dash.GetRoute(ctx, &pb.GetRouteRequest{Id: id}); return err },
			list: func(i int) error {
				res, err := dash.ListRoutes(ctx, &pb.ListRoutesRequest{Namespace: ns.ID, Offset: proto.Int64(int64(i * 487 % 99_900)), Limit: proto.Int64(100)})
				if err == nil && len(res.Routes) != 100 {
					err = fmt.Errorf("listed %d routes, want 100", len(res.Routes))
				}
				return err
			},
		},
		"config": {
			create: func(i int) (string, error) {
				res, err := cs.CreateRoute(ctx, &configpb.CreateRouteRequest{Route: &configpb.Route{
					Name: proto.String(fmt.Sprintf("c-%d", i)), NamespaceId: proto.String(ns.ID),
					From: fmt.Sprintf("https://c-%d.example.com", i), To: []string{"https://upstream.internal"},
				}})
				return res.GetRoute().GetId(), err
			},
			get: func(id string) error { _, err := cs.GetRoute(ctx, &configpb.GetRouteRequest{Id: id}); return err },
			list: func(i int) error {
				res, err := cs.ListRoutes(ctx, &configpb.ListRoutesRequest{
					Filter: mustStruct(b, map[string]any{"namespace_id": ns.ID}),
					Offset: proto.Uint64(uint64(i * 487 % 99_900)), Limit: proto.Uint64(100),
				})
				if err == nil && len(res.Routes) != 100 {
					err = fmt.Errorf("listed %d routes, want 100", len(res.Routes))
				}
				return err
			},
		},
	}
	// Lists first read pages PostgreSQL has not cached yet: a round of
	// each face's lists before the timing, so that neither pays for that.
	for _, name := range []string{"dashboard", "config"} {
		concurrently(b, 8, 200, faces[name].list)
	}
	// The two faces take turns at each step, so that what else the
	// machine does weighs on both alike.
	var mu sync.Mutex
	ids := map[string][]string{}
	made := 0
	for _, clients := range []int{1, 8, 64} {
		for _, op := range []string{"CreateRoute", "GetRoute", "ListRoutes"} {
			for _, name := range []string{"dashboard", "config"} {
				f := faces[name]
				b.Run(fmt.Sprintf("%s/%s/clients=%d", op, name, clients), func(b *testing.B) {
					for b.Loop() {
						var rate float64
						switch op {
						case "CreateRoute":
							rate = concurrently(b, clients, 1000, func(int) error {
								mu.Lock()
								i := made
								made++
								mu.Unlock()
								id, err := f.create(i)
								mu.Lock()
								ids[name] = append(ids[name], id)
								mu.Unlock()
								return err
							})
						case "GetRoute":
							mine := ids[name]
							rate = concurrently(b, clients, 3000, func(i int) error { return f.get(mine[i%len(mine)]) })
						case "ListRoutes":
							rate = concurrently(b, clients, 200, f.list)
						}
						b.ReportMetric(rate, "calls/s")
					}
				})
			}
		}
	}
}

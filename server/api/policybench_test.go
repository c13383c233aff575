package api_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// BenchmarkPolicyUsedByManyRoutes measures GetPolicy of a policy that
// 100,000 routes use: its answer names every one of them.
func BenchmarkPolicyUsedByManyRoutes(b *testing.B) {
	e := newEnv(b)
	ns := e.namespace(store.GlobalNamespaceID, "Bench")
	pol := e.policy(ns.ID, "everyone", false)
	const n, batch = 100_000, 1000
	for done := 0; done < n; done += batch {
		ops := make([]store.Op, 0, batch)
		for i := done; i < done+batch; i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: fmt.Sprintf("r-%06d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://r-%d.example.com", i), To: []string{"https://up.internal"}, PolicyIds: []string{pol.ID}}}})
		}
		if _, err := e.store.Apply(e.ctx, store.Actor{Subject: "bench", Origin: store.OriginImport}, ops...); err != nil {
			b.Fatal(err)
		}
	}
	ctx := as(context.Background(), e.adminToken())
	client := pb.NewPolicyServiceClient(e.conn)
	for b.Loop() {
		res, err := client.GetPolicy(ctx, &pb.GetPolicyRequest{Id: pol.ID}, grpc.MaxCallRecvMsgSize(64<<20))
		if err != nil || len(res.Policy.Routes) != n {
			b.Fatalf("get policy: %d routes, %v", len(res.GetPolicy().GetRoutes()), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestOfficialClientScenario runs the example of the official Go client
// with the stubs it is made of (grpc-go, TLS, "authorization: Pomerium"):
// find the namespace "Production", find the policy "my policy" by query,
// create a route with that policy and pass_identity_headers; then the
// route's record reaches the databroker with the policy attached.
func TestOfficialClientScenario(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prod := e.namespace(store.GlobalNamespaceID, "Production")
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: prod.ID, Name: "my policy"}, PPL: "allow:\n  or:\n    - email: {is: user@example.com}\n"}, 0); err != nil {
		t.Fatal(err)
	}
	broker := e.startReconciler()
	ctx := as(e.ctx, e.account(store.RoleManager, prod.ID))

	namespaces, err := pb.NewNamespaceServiceClient(e.conn).ListNamespaces(ctx, &pb.ListNamespacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(namespaces.Namespaces, func(n *pb.Namespace) bool { return n.Name == "Production" })
	if i < 0 {
		t.Fatalf("Production not among %v", namespaces.Namespaces)
	}
	nsID := namespaces.Namespaces[i].Id
	policies, err := pb.NewPolicyServiceClient(e.conn).ListPolicies(ctx, &pb.ListPoliciesRequest{Namespace: nsID, Query: new("my policy")})
	if err != nil || len(policies.Policies) != 1 {
		t.Fatalf("policies: %v, %v", policies, err)
	}
	policyID := policies.Policies[0].Id
	set, err := pb.NewRouteServiceClient(e.conn).SetRoute(ctx, &pb.SetRouteRequest{Route: &pb.Route{
		NamespaceId: nsID, Name: "verify", From: "https://verify.localhost.pomerium.io", To: []string{"https://verify.pomerium.com"},
		PolicyIds: []string{policyID}, PassIdentityHeaders: new(true),
	}})
	if err != nil {
		t.Fatal(err)
	}
	routeID := set.Route.Id

	var rec configpb.Route
	waitFor(t, "the route's record in the databroker", func() bool {
		got, err := broker.Get(e.ctx, &dbpb.GetRequest{Type: compile.RecordTypeRoute, Id: routeID})
		return err == nil && got.Record.Data.UnmarshalTo(&rec) == nil && slices.Contains(rec.PolicyIds, policyID)
	})
	if !rec.GetPassIdentityHeaders() || rec.From != "https://verify.localhost.pomerium.io" {
		t.Errorf("record %v", &rec)
	}
	waitFor(t, "the route reported synced", func() bool {
		got, err := pb.NewRouteServiceClient(e.conn).GetRoute(ctx, &pb.GetRouteRequest{Id: routeID})
		return err == nil && got.Route.GetSyncStatus().GetState() == string(store.SyncSynced)
	})
}

// startReconciler runs the reconcile loop of the env's store against an
// embedded databroker and returns a client of that databroker.
func (e *env) startReconciler() dbpb.DataBrokerServiceClient {
	e.t.Helper()
	secret := []byte(strings.Repeat("k", 32))
	b := memory.New(memory.Options{SharedSecret: secret, Logger: logFor(e.t)})
	addr, err := b.Start("127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(b.Stop)
	c, err := databroker.Dial(databroker.Options{URL: "http://" + addr.String(), SharedSecret: secret, Logger: logFor(e.t)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	loop := reconcile.New(reconcile.Options{Store: e.store, Client: c, Instance: "test", Logger: logFor(e.t), RetryBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = loop.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return c.RPC()
}

// waitFor polls cond until it holds or the time allowed (15 seconds, or
// the one given) passes.
func waitFor(t testing.TB, what string, cond func() bool, within ...time.Duration) {
	t.Helper()
	limit := 15 * time.Second
	if len(within) > 0 {
		limit = within[0]
	}
	wait.For(t, what, limit, cond)
}

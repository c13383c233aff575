package api_test

import (
	"testing"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestServicesInProcess: a surface calling the services in process gets
// the same checks as over the network, records its own origin.
func TestServicesInProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := api.New(api.Options{App: manage.New(manage.Options{Store: e.store, Tokens: e.auth, Logger: logFor(t)}), Auth: e.auth, Logger: logFor(t)}).Services()
	pol := e.policy(store.GlobalNamespaceID, "p", false)
	e.route(store.GlobalNamespaceID, "r", "https://r.example.com", pol.ID)

	if _, err := svc.Policies.GetPolicy(t.Context(), connect.NewRequest(&pb.GetPolicyRequest{Id: pol.ID})); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("no caller: %v, want Unauthenticated", err)
	}
	asAdmin := auth.WithPrincipal(t.Context(), &auth.Principal{Kind: auth.KindUser, Subject: admin, Email: admin, Administrator: true})
	got, err := svc.Policies.GetPolicy(asAdmin, connect.NewRequest(&pb.GetPolicyRequest{Id: pol.ID}))
	if err != nil || len(got.Msg.GetPolicy().GetRoutes()) != 1 {
		t.Fatalf("policy with its routes: %v, %v", got, err)
	}
	ui := api.WithOrigin(asAdmin, store.OriginUI)
	set, err := svc.Namespaces.SetNamespace(ui, connect.NewRequest(&pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: store.GlobalNamespaceID, Name: "from-ui"}}))
	if err != nil || set.Msg.GetNamespace().GetSyncStatus().GetOrigin() != "ui" {
		t.Fatalf("namespace written from the UI: %v, %v", set, err)
	}
}

package api_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// configIdentity are the optional fields ConfigService fills in every
// object it answers with, from what the store keeps beside the spec.
var configIdentity = []string{"id", "namespace_id", "originator_id", "namespace_name"}

// configPresenceDrivers are the objects ConfigService writes, by full
// name: pomerium.config messages through the use cases and the store.
func (e *env) configPresenceDrivers(c configpb.ConfigServiceClient) map[protoreflect.FullName]presenceDriver {
	cert, _ := certificate(e.t, "presence.example.com")
	byID := func(m proto.Message) *structpb.Struct { return mustStruct(e.t, map[string]any{"id": idOf(m)}) }
	activity := e.activityAPI("grpc", e.adminToken())
	return map[protoreflect.FullName]presenceDriver{
		"pomerium.config.Route": calls[*configpb.Route]{
			filled: append(configIdentity, "enforced_policies.id", "enforced_policies.name", "assigned_policies.id", "assigned_policies.name"),
			base: func(n int) *configpb.Route {
				return &configpb.Route{Name: proto.String(fmt.Sprint("route-", n)), From: fmt.Sprintf("https://r%d.example.com", n), To: []string{"https://upstream.internal"}}
			},
			set: func(ctx context.Context, r *configpb.Route) (*configpb.Route, error) {
				if r.GetId() == "" {
					res, err := c.CreateRoute(ctx, &configpb.CreateRouteRequest{Route: r})
					return res.GetRoute(), err
				}
				res, err := c.UpdateRoute(ctx, &configpb.UpdateRouteRequest{Route: r})
				return res.GetRoute(), err
			},
			get: func(ctx context.Context, id string) (*configpb.Route, error) {
				res, err := c.GetRoute(ctx, &configpb.GetRouteRequest{Id: id})
				return res.GetRoute(), err
			},
			list: func(ctx context.Context, r *configpb.Route) ([]*configpb.Route, error) {
				res, err := c.ListRoutes(ctx, &configpb.ListRoutesRequest{Filter: byID(r)})
				return res.GetRoutes(), err
			},
			getName: "GetRoute", listName: "ListRoutes",
		}.driver(activity),
		"pomerium.config.Policy": calls[*configpb.Policy]{
			filled: append(configIdentity, "enforced_routes.id", "enforced_routes.name", "assigned_routes.id", "assigned_routes.name"),
			base: func(n int) *configpb.Policy {
				return &configpb.Policy{Name: proto.String(fmt.Sprint("policy-", n)), SourcePpl: proto.String(allowAll)}
			},
			set: func(ctx context.Context, p *configpb.Policy) (*configpb.Policy, error) {
				if p.GetId() == "" {
					res, err := c.CreatePolicy(ctx, &configpb.CreatePolicyRequest{Policy: p})
					return res.GetPolicy(), err
				}
				res, err := c.UpdatePolicy(ctx, &configpb.UpdatePolicyRequest{Policy: p})
				return res.GetPolicy(), err
			},
			get: func(ctx context.Context, id string) (*configpb.Policy, error) {
				res, err := c.GetPolicy(ctx, &configpb.GetPolicyRequest{Id: id})
				return res.GetPolicy(), err
			},
			list: func(ctx context.Context, p *configpb.Policy) ([]*configpb.Policy, error) {
				res, err := c.ListPolicies(ctx, &configpb.ListPoliciesRequest{Filter: byID(p)})
				return res.GetPolicies(), err
			},
			getName: "GetPolicy", listName: "ListPolicies",
		}.driver(activity),
		"pomerium.config.KeyPair": calls[*configpb.KeyPair]{
			filled: configIdentity,
			base: func(n int) *configpb.KeyPair {
				return &configpb.KeyPair{Name: proto.String(fmt.Sprint("key-pair-", n)), Certificate: cert}
			},
			set: func(ctx context.Context, kp *configpb.KeyPair) (*configpb.KeyPair, error) {
				if kp.GetId() == "" {
					res, err := c.CreateKeyPair(ctx, &configpb.CreateKeyPairRequest{KeyPair: kp})
					return res.GetKeyPair(), err
				}
				res, err := c.UpdateKeyPair(ctx, &configpb.UpdateKeyPairRequest{KeyPair: kp})
				return res.GetKeyPair(), err
			},
			get: func(ctx context.Context, id string) (*configpb.KeyPair, error) {
				res, err := c.GetKeyPair(ctx, &configpb.GetKeyPairRequest{Id: id})
				return res.GetKeyPair(), err
			},
			list: func(ctx context.Context, kp *configpb.KeyPair) ([]*configpb.KeyPair, error) {
				res, err := c.ListKeyPairs(ctx, &configpb.ListKeyPairsRequest{Filter: byID(kp)})
				return res.GetKeyPairs(), err
			},
			getName: "GetKeyPair", listName: "ListKeyPairs",
		}.driver(activity),
		"pomerium.config.ServiceAccount": calls[*configpb.ServiceAccount]{
			// The user an account acts as is its own id when none is chosen.
			filled: append(configIdentity, "user_id"),
			base: func(int) *configpb.ServiceAccount {
				return &configpb.ServiceAccount{NamespaceId: proto.String(store.GlobalNamespaceID)}
			},
			set: func(ctx context.Context, sa *configpb.ServiceAccount) (*configpb.ServiceAccount, error) {
				if sa.GetId() == "" {
					res, err := c.CreateServiceAccount(ctx, &configpb.CreateServiceAccountRequest{ServiceAccount: sa})
					return res.GetServiceAccount(), err
				}
				res, err := c.UpdateServiceAccount(ctx, &configpb.UpdateServiceAccountRequest{ServiceAccount: sa})
				return res.GetServiceAccount(), err
			},
			get: func(ctx context.Context, id string) (*configpb.ServiceAccount, error) {
				res, err := c.GetServiceAccount(ctx, &configpb.GetServiceAccountRequest{Id: id})
				return res.GetServiceAccount(), err
			},
			list: func(ctx context.Context, sa *configpb.ServiceAccount) ([]*configpb.ServiceAccount, error) {
				res, err := c.ListServiceAccounts(ctx, &configpb.ListServiceAccountsRequest{Filter: byID(sa)})
				return res.GetServiceAccounts(), err
			},
			getName: "GetServiceAccount", listName: "ListServiceAccounts",
		}.driver(activity),
		"pomerium.config.Settings": calls[*configpb.Settings]{
			filled: configIdentity,
			base:   func(int) *configpb.Settings { return &configpb.Settings{} },
			set: func(ctx context.Context, s *configpb.Settings) (*configpb.Settings, error) {
				res, err := c.UpdateSettings(ctx, &configpb.UpdateSettingsRequest{Settings: s})
				return res.GetSettings(), err
			},
			get: func(ctx context.Context, id string) (*configpb.Settings, error) {
				res, err := c.GetSettings(ctx, &configpb.GetSettingsRequest{For: &configpb.GetSettingsRequest_Id{Id: id}})
				return res.GetSettings(), err
			},
			list: func(ctx context.Context, _ *configpb.Settings) ([]*configpb.Settings, error) {
				res, err := c.ListSettings(ctx, &configpb.ListSettingsRequest{})
				return res.GetSettings(), err
			},
			getName: "GetSettings", listName: "ListSettings",
		}.driver(activity),
	}
}

// TestConfigOptionalFieldsKeepPresence walks every optional field of the
// objects ConfigService writes (pomerium.config Route, Policy, KeyPair,
// ServiceAccount, Settings), as TestOptionalFieldsKeepPresence does for
// the dashboard API, over the binary protocol the Terraform provider
// speaks and over protojson.
func TestConfigOptionalFieldsKeepPresence(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"connect-proto", "connect-json"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			drivers := e.configPresenceDrivers(e.configClient(transport, e.adminToken()))
			for _, m := range []proto.Message{&configpb.Route{}, &configpb.Policy{}, &configpb.KeyPair{}, &configpb.ServiceAccount{}, &configpb.Settings{}} {
				md := m.ProtoReflect().Descriptor()
				t.Run(string(md.Name()), func(t *testing.T) { checkObject(t, e.ctx, drivers[md.FullName()], md) })
			}
		})
	}
}

// TestPresenceAcrossAPIs: what one API sets explicitly survives a write
// through the other, which cannot express it; what the dashboard API
// leaves out of a route it writes back is cleared. ConfigService's
// answers, which its clients decode with protojson, carry nothing of the
// dashboard's explicit fields.
func TestPresenceAcrossAPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.adminToken()
	dash, cs := e.routeAPI("grpc", token), e.configClient("connect-json", token)

	set, err := dash.set(e.ctx, &pb.SetRouteRequest{Route: &pb.Route{
		NamespaceId: store.GlobalNamespaceID, Name: "app", From: "https://app.example.com", To: []string{"https://app.internal"},
		AllowWebsockets: new(false), Prefix: new(""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := set.Route.Id
	// Through ConfigService, as the Terraform provider updates: read, then
	// replace without a mask.
	read, err := cs.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(read.Route.ProtoReflect().GetUnknown()) > 0 {
		t.Errorf("ConfigService answers with fields its clients do not know: %x", read.Route.ProtoReflect().GetUnknown())
	}
	read.Route.StatName = proto.String("")
	if _, err := cs.UpdateRoute(e.ctx, &configpb.UpdateRouteRequest{Route: read.Route}); err != nil {
		t.Fatal(err)
	}
	got, err := dash.get(e.ctx, &pb.GetRouteRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Route.AllowWebsockets == nil || got.Route.Prefix == nil {
		t.Fatalf("after an update through ConfigService the dashboard reads allow_websockets %v, prefix %v, want both set",
			got.Route.AllowWebsockets, got.Route.Prefix)
	}
	// Back through the dashboard API, which has no stat_name with presence:
	// renaming keeps it; leaving out allow_websockets clears it.
	got.Route.Name, got.Route.AllowWebsockets = "renamed", nil
	if _, err := dash.set(e.ctx, &pb.SetRouteRequest{Route: got.Route}); err != nil {
		t.Fatal(err)
	}
	again, err := cs.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if again.Route.GetName() != "renamed" || again.Route.StatName == nil {
		t.Errorf("after a rename through the dashboard ConfigService reads name %q, stat_name %v, want renamed and stat_name set",
			again.Route.GetName(), again.Route.StatName)
	}
	got, err = dash.get(e.ctx, &pb.GetRouteRequest{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Route.AllowWebsockets != nil || got.Route.Prefix == nil {
		t.Errorf("the dashboard reads allow_websockets %v, prefix %v, want it cleared and prefix still set", got.Route.AllowWebsockets, got.Route.Prefix)
	}
}

package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// configTransports are the ways the tests reach ConfigService: a grpc-go
// client, and Connect clients with binary protobuf over HTTP/2 (what the
// Terraform provider sends) and with JSON over HTTP/1.1, and gRPC-Web
// over HTTP/1.1, as a browser would call it.
var configTransports = []string{"grpc", "connect-proto", "connect-json", "grpc-web"}

// configClient is a client of ConfigService over transport, sending token
// the way that transport's clients do.
func (e *env) configClient(transport, token string) configpb.ConfigServiceClient {
	e.t.Helper()
	switch transport {
	case "grpc":
		conn, err := grpc.NewClient(e.url[len("https://"):],
			grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: e.roots})),
			grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Pomerium "+token), method, req, reply, cc, opts...)
			}))
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { _ = conn.Close() })
		return configpb.NewConfigServiceClient(conn)
	case "connect-proto":
		h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots}, ForceAttemptHTTP2: true}}
		return connectConfig{configpbconnect.NewConfigServiceClient(h2, e.url, connect.WithInterceptors(providerAuth(token)))}
	case "grpc-web":
		return connectConfig{configpbconnect.NewConfigServiceClient(e.http, e.url, connect.WithGRPCWeb(), bearer(token))}
	case "connect-json":
		return connectConfig{configpbconnect.NewConfigServiceClient(e.http, e.url, connectOpts(token)...)}
	}
	e.t.Fatalf("unknown transport %q", transport)
	return nil
}

// providerAuth sends a service-account token as the Terraform provider's
// SDK does: in authorization and in jwt.
func providerAuth(token string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Pomerium "+token)
			req.Header().Set("jwt", token)
			return next(ctx, req)
		}
	})
}

// forEachConfigTransport runs f once per transport, each on its own console.
func forEachConfigTransport(t *testing.T, f func(t *testing.T, e *env, cs func(token string) configpb.ConfigServiceClient)) {
	for _, tr := range configTransports {
		t.Run(tr, func(t *testing.T) {
			e := newEnv(t)
			f(t, e, func(token string) configpb.ConfigServiceClient { return e.configClient(tr, token) })
		})
	}
}

func TestConfigServiceServerInfo(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		info, err := cs(e.adminToken()).GetServerInfo(e.ctx, &configpb.GetServerInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if info.ServerType != configpb.ServerType_SERVER_TYPE_ENTERPRISE || info.Version != testVersion {
			t.Fatalf("server info %v, want ENTERPRISE and %s", info, testVersion)
		}
		_, err = cs("not-a-token").GetServerInfo(e.ctx, &configpb.GetServerInfoRequest{})
		wantCode(t, "server info with a bad token", err, connect.CodeUnauthenticated, "")
		fields, err := cs(e.adminToken()).ListAvailableLogFields(e.ctx, &configpb.ListAvailableLogFieldsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(fields.AvailableAccessLogFields, "response-code-details") ||
			!slices.Contains(fields.AvailableAuthorizeLogFields, "impersonate-session-id") ||
			len(fields.DefaultAccessLogFields) != 12 || len(fields.DefaultAuthorizeLogFields) != 18 {
			t.Fatalf("log fields %v", fields)
		}
	})
}

// The provider's sequence for a route: create (no id) → get → update
// without a mask → get → delete → get NotFound; a second delete succeeds.
func TestConfigServiceRouteLifecycle(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		c := cs(e.adminToken())
		ns := e.namespace(store.GlobalNamespaceID, "team")
		enforced := e.policy(store.GlobalNamespaceID, "guard", true)
		own := e.policy(ns.ID, "own", false)
		in := &configpb.Route{
			Name: proto.String("app"), NamespaceId: proto.String(ns.ID), OriginatorId: proto.String("terraform"),
			From: "https://app.example.com", To: []string{"https://app.internal"},
			PolicyIds:        []string{own.ID},
			AssignedPolicies: []*configpb.EntityInfo{{Id: proto.String(own.ID)}},
			IdpClientSecret:  proto.String("s3cret"), PassIdentityHeaders: proto.Bool(false),
			Description: proto.String(""), AllowWebsockets: false,
		}
		created, err := c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{Route: in})
		if err != nil {
			t.Fatal(err)
		}
		r := created.Route
		if !store.ValidID(r.GetId()) || r.GetNamespaceId() != ns.ID || r.GetName() != "app" || r.CreatedAt == nil {
			t.Fatalf("created route %v", r)
		}
		if !slices.Equal(r.PolicyIds, []string{own.ID}) {
			t.Fatalf("policy_ids %v, want only the route's own %s (enforced policies are not listed there)", r.PolicyIds, own.ID)
		}
		if len(r.EnforcedPolicies) != 1 || r.EnforcedPolicies[0].GetId() != enforced.ID {
			t.Fatalf("enforced_policies %v, want %s", r.EnforcedPolicies, enforced.ID)
		}
		if r.GetIdpClientSecret() != "s3cret" || r.PassIdentityHeaders == nil || r.Description == nil {
			t.Fatalf("route lost a field it was sent: %v", r)
		}
		log, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityID: r.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if len(log.Entries) != 1 || log.Entries[0].Origin != store.OriginAPI || log.Entries[0].Subject == "" {
			t.Fatalf("activity of the created route %+v, want one entry of origin api naming the caller", log.Entries)
		}
		got, err := c.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: r.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got.Route, r) {
			t.Fatalf("get %v\nwant what create answered %v", got.Route, r)
		}
		update := proto.Clone(in).(*configpb.Route)
		update.Id, update.To = r.Id, []string{"https://app2.internal"}
		update.IdpClientSecret = nil
		updated, err := c.UpdateRoute(e.ctx, &configpb.UpdateRouteRequest{Route: update})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(updated.Route.To, []string{"https://app2.internal"}) || updated.Route.IdpClientSecret != nil {
			t.Fatalf("an update without a mask replaces the route: %v", updated.Route)
		}
		if !updated.Route.CreatedAt.AsTime().Equal(r.CreatedAt.AsTime()) {
			t.Fatalf("created_at moved from %v to %v", r.CreatedAt.AsTime(), updated.Route.CreatedAt.AsTime())
		}
		got, err = c.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: r.GetId()})
		if err != nil || !proto.Equal(got.Route, updated.Route) {
			t.Fatalf("get after update: %v %v", got, err)
		}
		if _, err := c.DeleteRoute(e.ctx, &configpb.DeleteRouteRequest{Id: r.GetId()}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: r.GetId()})
		wantCode(t, "get a deleted route", err, connect.CodeNotFound, "")
		if _, err := c.DeleteRoute(e.ctx, &configpb.DeleteRouteRequest{Id: r.GetId()}); err != nil {
			t.Fatalf("deleting a route that is gone: %v, want success", err)
		}
		_, err = c.UpdateRoute(e.ctx, &configpb.UpdateRouteRequest{Route: update})
		wantCode(t, "update a deleted route", err, connect.CodeNotFound, "")
	})
}

func TestConfigServiceRouteRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.configClient("connect-json", e.adminToken())
	_, err := c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{Route: &configpb.Route{Name: proto.String("ftp"), From: "ftp://x.example.com", To: []string{"https://x"}}})
	wantCode(t, "a route compilation refuses", err, connect.CodeInvalidArgument, "route.from")
	_, err = c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{})
	wantCode(t, "no route", err, connect.CodeInvalidArgument, "route")
	_, err = c.ListRoutes(e.ctx, &configpb.ListRoutesRequest{OrderBy: proto.String("sideways")})
	wantCode(t, "an unknown order", err, connect.CodeInvalidArgument, "order_by")
	_, err = c.ListRoutes(e.ctx, &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"no_such_field": "x"})})
	wantCode(t, "a filter on a field routes lack", err, connect.CodeInvalidArgument, "filter.no_such_field")
	_, err = c.ListRoutes(e.ctx, &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"cluster_id": "elsewhere"})})
	wantCode(t, "another cluster", err, connect.CodeInvalidArgument, "cluster_id")
	r, err := c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{Route: &configpb.Route{Name: proto.String("a"), From: "https://a.example.com", To: []string{"https://a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Route.GetNamespaceId() != store.GlobalNamespaceID {
		t.Fatalf("a route naming no namespace went to %s, want Global", r.Route.GetNamespaceId())
	}
	_, err = c.UpdateRoute(e.ctx, &configpb.UpdateRouteRequest{Route: r.Route, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"from", "nope"}}})
	wantCode(t, "a mask naming no field", err, connect.CodeInvalidArgument, "update_mask.paths[1]")
	_, err = c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{Route: &configpb.Route{Id: r.Route.Id, Name: proto.String("b"), From: "https://b.example.com", To: []string{"https://b"}}})
	wantCode(t, "create with the id of a route", err, connect.CodeAlreadyExists, "")
}

// An update with a mask changes the fields it names, clearing those the
// message leaves unset, and nothing else.
func TestConfigServiceUpdateMask(t *testing.T) {
	e := newEnv(t)
	c := e.configClient("connect-proto", e.adminToken())
	r, err := c.CreateRoute(e.ctx, &configpb.CreateRouteRequest{Route: &configpb.Route{
		Name: proto.String("a"), From: "https://a.example.com", To: []string{"https://a"},
		Prefix: "/api", Description: proto.String("first"), Timeout: durationpb.New(time.Second),
	}})
	if err != nil {
		t.Fatal(err)
	}
	masked, err := c.UpdateRoute(e.ctx, &configpb.UpdateRouteRequest{
		Route:      &configpb.Route{Id: r.Route.Id, To: []string{"https://b"}, Prefix: "/ignored"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"to", "description"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := masked.Route
	if !slices.Equal(got.To, []string{"https://b"}) || got.Description != nil || got.Prefix != "/api" ||
		got.GetName() != "a" || got.Timeout.AsDuration() != time.Second {
		t.Fatalf("masked update gave %v", got)
	}
}

func TestConfigServicePolicies(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		c := cs(e.adminToken())
		ns := e.namespace(store.GlobalNamespaceID, "team")
		in := &configpb.Policy{
			Name: proto.String("devs"), NamespaceId: proto.String(ns.ID), OriginatorId: proto.String("terraform"),
			Description: proto.String(""), Enforced: proto.Bool(false), Explanation: proto.String(""), Remediation: proto.String(""),
			SourcePpl: proto.String(`allow: {or: [{email: {is: dev@example.com}}]}`),
		}
		created, err := c.CreatePolicy(e.ctx, &configpb.CreatePolicyRequest{Policy: in})
		if err != nil {
			t.Fatal(err)
		}
		p := created.Policy
		if !store.ValidID(p.GetId()) || p.GetSourcePpl() != in.GetSourcePpl() || len(p.Rego) != 0 {
			t.Fatalf("created policy %v", p)
		}
		// The provider's create-or-adopt: AlreadyExists, then find it by
		// name and namespace, then update it.
		_, err = c.CreatePolicy(e.ctx, &configpb.CreatePolicyRequest{Policy: in})
		wantCode(t, "a second policy of that name", err, connect.CodeAlreadyExists, "")
		found, err := c.ListPolicies(e.ctx, &configpb.ListPoliciesRequest{
			Limit: proto.Uint64(1), Offset: proto.Uint64(0),
			Filter: mustStruct(t, map[string]any{"name": "devs", "namespace_id": ns.ID}),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(found.Policies) != 1 || found.Policies[0].GetId() != p.GetId() || found.TotalCount != 1 {
			t.Fatalf("list by name found %v", found)
		}
		adopt := proto.Clone(in).(*configpb.Policy)
		adopt.Id, adopt.Description = p.Id, proto.String("adopted")
		updated, err := c.UpdatePolicy(e.ctx, &configpb.UpdatePolicyRequest{Policy: adopt})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Policy.GetDescription() != "adopted" {
			t.Fatalf("updated policy %v", updated.Policy)
		}
		got, err := c.GetPolicy(e.ctx, &configpb.GetPolicyRequest{Id: p.GetId()})
		if err != nil || !proto.Equal(got.Policy, updated.Policy) {
			t.Fatalf("get after update: %v %v", got, err)
		}
		_, err = c.CreatePolicy(e.ctx, &configpb.CreatePolicyRequest{Policy: &configpb.Policy{Name: proto.String("bad"), SourcePpl: proto.String("allow: [")}})
		wantCode(t, "PPL that does not parse", err, connect.CodeInvalidArgument, "policy.source_ppl")
		_, err = c.CreatePolicy(e.ctx, &configpb.CreatePolicyRequest{Policy: &configpb.Policy{Name: proto.String("rego"), Rego: []string{"package pomerium.policy"}}})
		wantCode(t, "rego", err, connect.CodeInvalidArgument, "policy.rego")
		// A policy in use is refused unless the call removes it from its routes.
		e.route(ns.ID, "r", "https://r.example.com", p.GetId())
		_, err = c.DeletePolicy(e.ctx, &configpb.DeletePolicyRequest{Id: p.GetId()})
		wantCode(t, "delete a policy a route uses", err, connect.CodeFailedPrecondition, "")
		if _, err := c.DeletePolicy(e.ctx, &configpb.DeletePolicyRequest{Id: p.GetId(), RemoveFromAnyAssignedRoutes: true}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetPolicy(e.ctx, &configpb.GetPolicyRequest{Id: p.GetId()})
		wantCode(t, "get a deleted policy", err, connect.CodeNotFound, "")
		if _, err := c.DeletePolicy(e.ctx, &configpb.DeletePolicyRequest{Id: p.GetId()}); err != nil {
			t.Fatalf("deleting a policy that is gone: %v", err)
		}
	})
}

func TestConfigServiceKeyPairs(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		c := cs(e.adminToken())
		cert, key := certificate(t, "kp.example.com")
		created, err := c.CreateKeyPair(e.ctx, &configpb.CreateKeyPairRequest{KeyPair: &configpb.KeyPair{
			Name: proto.String("kp"), OriginatorId: proto.String("terraform"), Certificate: cert, Key: key,
		}})
		if err != nil {
			t.Fatal(err)
		}
		kp := created.KeyPair
		if !store.ValidID(kp.GetId()) || string(kp.Key) != string(key) || len(kp.CertificateInfo) != 1 ||
			!slices.Contains(kp.CertificateInfo[0].DnsNames, "kp.example.com") {
			t.Fatalf("created key pair %v", kp)
		}
		got, err := c.GetKeyPair(e.ctx, &configpb.GetKeyPairRequest{Id: kp.GetId()})
		if err != nil || !proto.Equal(got.KeyPair, kp) {
			t.Fatalf("get %v %v, want the key pair with its key, as created", got, err)
		}
		cert2, key2 := certificate(t, "kp2.example.com")
		updated, err := c.UpdateKeyPair(e.ctx, &configpb.UpdateKeyPairRequest{KeyPair: &configpb.KeyPair{
			Id: kp.Id, Name: proto.String("kp2"), Certificate: cert2, Key: key2,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if updated.KeyPair.GetName() != "kp2" || string(updated.KeyPair.Key) != string(key2) {
			t.Fatalf("updated key pair %v", updated.KeyPair)
		}
		list, err := c.ListKeyPairs(e.ctx, &configpb.ListKeyPairsRequest{})
		if err != nil || list.TotalCount != 1 || list.KeyPairs[0].GetId() != kp.GetId() {
			t.Fatalf("list %v %v", list, err)
		}
		// A viewer reads the key pair, never its key.
		viewer := cs(e.account(store.RoleViewer, store.GlobalNamespaceID))
		seen, err := viewer.GetKeyPair(e.ctx, &configpb.GetKeyPairRequest{Id: kp.GetId()})
		if err != nil || seen.KeyPair.Key != nil {
			t.Fatalf("a viewer got %v %v, want the key pair without its key", seen, err)
		}
		if _, err := c.DeleteKeyPair(e.ctx, &configpb.DeleteKeyPairRequest{Id: kp.GetId()}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetKeyPair(e.ctx, &configpb.GetKeyPairRequest{Id: kp.GetId()})
		wantCode(t, "get a deleted key pair", err, connect.CodeNotFound, "")
		if _, err := c.DeleteKeyPair(e.ctx, &configpb.DeleteKeyPairRequest{Id: kp.GetId()}); err != nil {
			t.Fatalf("deleting a key pair that is gone: %v", err)
		}
	})
}

func TestConfigServiceServiceAccounts(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		c := cs(e.adminToken())
		created, err := c.CreateServiceAccount(e.ctx, &configpb.CreateServiceAccountRequest{ServiceAccount: &configpb.ServiceAccount{
			NamespaceId: proto.String(store.GlobalNamespaceID), OriginatorId: proto.String("terraform"), Description: proto.String("ci"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		sa := created.ServiceAccount
		if !store.ValidID(sa.GetId()) || created.Jwt == "" || sa.GetDescription() != "ci" {
			t.Fatalf("created %v, token %q", sa, created.Jwt)
		}
		// The token works, on ConfigService itself.
		if _, err := cs(created.Jwt).GetServerInfo(e.ctx, &configpb.GetServerInfoRequest{}); err != nil {
			t.Fatalf("the new account's token: %v", err)
		}
		got, err := c.GetServiceAccount(e.ctx, &configpb.GetServiceAccountRequest{Id: sa.GetId()})
		if err != nil || got.ServiceAccount.GetId() != sa.GetId() {
			t.Fatalf("get %v %v", got, err)
		}
		expires := timestamppb.New(time.Now().Add(24 * time.Hour).Truncate(time.Second))
		updated, err := c.UpdateServiceAccount(e.ctx, &configpb.UpdateServiceAccountRequest{ServiceAccount: &configpb.ServiceAccount{
			Id: sa.Id, Description: proto.String("ci2"), ExpiresAt: expires,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if updated.ServiceAccount.GetDescription() != "ci2" || !updated.ServiceAccount.ExpiresAt.AsTime().Equal(expires.AsTime()) {
			t.Fatalf("updated %v", updated.ServiceAccount)
		}
		list, err := c.ListServiceAccounts(e.ctx, &configpb.ListServiceAccountsRequest{
			Filter: mustStruct(t, map[string]any{"namespace_id": store.GlobalNamespaceID}),
		})
		if err != nil || !slices.ContainsFunc(list.ServiceAccounts, func(s *configpb.ServiceAccount) bool { return s.GetId() == sa.GetId() }) {
			t.Fatalf("list %v %v", list, err)
		}
		// The provider's account: its name as user_id, in a namespace other
		// than Global, comes back in the Enterprise form and is accepted
		// again as sent on update.
		team := e.namespace(store.GlobalNamespaceID, "team")
		named, err := c.CreateServiceAccount(e.ctx, &configpb.CreateServiceAccountRequest{ServiceAccount: &configpb.ServiceAccount{
			NamespaceId: proto.String(team.ID), UserId: proto.String("deploy"), OriginatorId: proto.String("terraform"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "deploy@" + team.ID + ".pomerium"; named.ServiceAccount.GetUserId() != want || named.Jwt == "" {
			t.Fatalf("named account %v, want user_id %s and a token", named.ServiceAccount, want)
		}
		if _, err := c.UpdateServiceAccount(e.ctx, &configpb.UpdateServiceAccountRequest{ServiceAccount: &configpb.ServiceAccount{
			Id: named.ServiceAccount.Id, NamespaceId: proto.String(team.ID), UserId: proto.String("deploy"), Description: proto.String("d"),
		}}); err != nil {
			t.Fatalf("update with the user_id as first sent: %v", err)
		}
		_, err = c.CreateServiceAccount(e.ctx, &configpb.CreateServiceAccountRequest{ServiceAccount: &configpb.ServiceAccount{
			NamespaceId: proto.String(team.ID), UserId: proto.String("deploy"),
		}})
		wantCode(t, "a second account of that user", err, connect.CodeAlreadyExists, "service_account.user_id")
		if _, err := c.DeleteServiceAccount(e.ctx, &configpb.DeleteServiceAccountRequest{Id: sa.GetId()}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetServiceAccount(e.ctx, &configpb.GetServiceAccountRequest{Id: sa.GetId()})
		wantCode(t, "get a deleted account", err, connect.CodeNotFound, "")
		if _, err := c.DeleteServiceAccount(e.ctx, &configpb.DeleteServiceAccountRequest{Id: sa.GetId()}); err != nil {
			t.Fatalf("deleting an account that is gone: %v", err)
		}
	})
}

// The provider's settings: UpdateSettings without an id upserts the
// settings and answers their id; GetSettings by that id reads them; its
// "delete" is an UpdateSettings with empty settings.
func TestConfigServiceSettings(t *testing.T) {
	forEachConfigTransport(t, func(t *testing.T, e *env, cs func(string) configpb.ConfigServiceClient) {
		c := cs(e.adminToken())
		up, err := c.UpdateSettings(e.ctx, &configpb.UpdateSettingsRequest{Settings: &configpb.Settings{
			AuthenticateServiceUrl: proto.String("https://authenticate.example.com"), LogLevel: proto.String("info"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		id := up.Settings.GetId()
		if id == "" || up.Settings.GetLogLevel() != "info" {
			t.Fatalf("upserted settings %v", up.Settings)
		}
		got, err := c.GetSettings(e.ctx, &configpb.GetSettingsRequest{For: &configpb.GetSettingsRequest_Id{Id: id}})
		if err != nil || !proto.Equal(got.Settings, up.Settings) {
			t.Fatalf("get %v %v, want %v", got, err, up.Settings)
		}
		_, err = c.GetSettings(e.ctx, &configpb.GetSettingsRequest{For: &configpb.GetSettingsRequest_Id{Id: "78408adf-56e4-41d0-af6a-ca1b2d8d2cb6"}})
		wantCode(t, "settings of another id", err, connect.CodeNotFound, "")
		list, err := c.ListSettings(e.ctx, &configpb.ListSettingsRequest{})
		if err != nil || list.TotalCount != 1 || len(list.Settings) != 1 || list.Settings[0].GetId() != id {
			t.Fatalf("list %v %v", list, err)
		}
		reset, err := c.UpdateSettings(e.ctx, &configpb.UpdateSettingsRequest{Settings: &configpb.Settings{}})
		if err != nil {
			t.Fatal(err)
		}
		if reset.Settings.LogLevel != nil || reset.Settings.AuthenticateServiceUrl != nil || reset.Settings.GetId() != id {
			t.Fatalf("reset settings %v", reset.Settings)
		}
		_, err = c.UpdateSettings(e.ctx, &configpb.UpdateSettingsRequest{Settings: &configpb.Settings{LogLevel: proto.String("loud")}})
		wantCode(t, "a log level Pomerium refuses", err, connect.CodeInvalidArgument, "settings.log_level")
	})
}

// Lists: filters of field equalities with $and, $or and $not, the
// console's search, order_by keywords and field names, paging.
func TestConfigServiceListRoutes(t *testing.T) {
	e := newEnv(t)
	c := e.configClient("grpc", e.adminToken())
	a := e.namespace(store.GlobalNamespaceID, "a")
	b := e.namespace(store.GlobalNamespaceID, "b")
	e.route(a.ID, "zeta", "https://1.example.com")
	e.route(a.ID, "alpha", "https://3.example.com")
	e.route(b.ID, "mid", "https://2.example.com")
	names := func(req *configpb.ListRoutesRequest) ([]string, uint64) {
		t.Helper()
		res, err := c.ListRoutes(e.ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Routes {
			out = append(out, r.GetName())
		}
		return out, res.TotalCount
	}
	cases := []struct {
		name  string
		req   *configpb.ListRoutesRequest
		want  []string
		total uint64
	}{
		{"everything, by name", &configpb.ListRoutesRequest{}, []string{"alpha", "mid", "zeta"}, 3},
		{"one namespace", &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"namespace_id": a.ID})}, []string{"alpha", "zeta"}, 2},
		{"by from", &configpb.ListRoutesRequest{OrderBy: proto.String("from")}, []string{"zeta", "mid", "alpha"}, 3},
		{"newest", &configpb.ListRoutesRequest{OrderBy: proto.String("newest")}, []string{"mid", "alpha", "zeta"}, 3},
		{"oldest, paged", &configpb.ListRoutesRequest{OrderBy: proto.String("oldest"), Offset: proto.Uint64(1), Limit: proto.Uint64(1)}, []string{"alpha"}, 3},
		{"a field name, descending", &configpb.ListRoutesRequest{OrderBy: proto.String("-name")}, []string{"zeta", "mid", "alpha"}, 3},
		{"search", &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"query": "2.example"})}, []string{"mid"}, 1},
		{"$or", &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"$or": []any{
			map[string]any{"from": "https://1.example.com"}, map[string]any{"name": "mid"},
		}})}, []string{"mid", "zeta"}, 2},
		{"$not", &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"$not": map[string]any{"namespace_id": a.ID}})}, []string{"mid"}, 1},
		{"$and of a list value", &configpb.ListRoutesRequest{Filter: mustStruct(t, map[string]any{"$and": []any{
			map[string]any{"name": []any{"alpha", "zeta"}}, map[string]any{"from": "https://3.example.com"},
		}})}, []string{"alpha"}, 1},
	}
	for _, tc := range cases {
		got, total := names(tc.req)
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, got, total, tc.want, tc.total)
		}
	}
}

// What each role may do through ConfigService is what it may do through
// the dashboard API: the same use cases decide.
func TestConfigServiceRoles(t *testing.T) {
	e := newEnv(t)
	ns := e.namespace(store.GlobalNamespaceID, "team")
	other := e.namespace(store.GlobalNamespaceID, "other")
	hidden := e.route(other.ID, "hidden", "https://hidden.example.com")
	route := func(name string) *configpb.CreateRouteRequest {
		return &configpb.CreateRouteRequest{Route: &configpb.Route{
			Name: proto.String(name), NamespaceId: proto.String(ns.ID), From: "https://" + name + ".example.com", To: []string{"https://u"},
			IdpClientSecret: proto.String("s3cret"),
		}}
	}
	admin := e.configClient("connect-proto", e.adminToken())
	existing, err := admin.CreateRoute(e.ctx, route("existing"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key := certificate(t, "roles.example.com")
	for _, tc := range []struct {
		role                     store.Role
		createRoute, createKP    connect.Code
		policy, enforced         connect.Code
		getHidden                connect.Code
		seesSecret, seesRoutesOK bool
	}{
		{role: "", createRoute: connect.CodeNotFound, createKP: connect.CodeNotFound, policy: connect.CodeNotFound, enforced: connect.CodeNotFound, getHidden: connect.CodeNotFound},
		{role: store.RoleViewer, createRoute: connect.CodePermissionDenied, createKP: connect.CodePermissionDenied, policy: connect.CodePermissionDenied, enforced: connect.CodePermissionDenied, getHidden: connect.CodeNotFound, seesRoutesOK: true},
		{role: store.RoleManager, createRoute: 0, createKP: connect.CodePermissionDenied, policy: 0, enforced: connect.CodePermissionDenied, getHidden: connect.CodeNotFound, seesSecret: true, seesRoutesOK: true},
		{role: store.RoleAdmin, createRoute: 0, createKP: 0, policy: 0, enforced: 0, getHidden: connect.CodeNotFound, seesSecret: true, seesRoutesOK: true},
	} {
		t.Run(string(tc.role)+"-role", func(t *testing.T) {
			c := e.configClient("connect-json", e.account(tc.role, ns.ID))
			_, err := c.CreateRoute(e.ctx, route("r-"+string(tc.role)+"x"))
			if codeOf(err) != tc.createRoute {
				t.Errorf("create route: %v, want %v", err, tc.createRoute)
			}
			_, err = c.CreateKeyPair(e.ctx, &configpb.CreateKeyPairRequest{KeyPair: &configpb.KeyPair{
				Name: proto.String("kp-" + string(tc.role)), NamespaceId: proto.String(ns.ID), Certificate: cert, Key: key,
			}})
			if codeOf(err) != tc.createKP {
				t.Errorf("create key pair: %v, want %v", err, tc.createKP)
			}
			for _, enforced := range []bool{false, true} {
				_, err = c.CreatePolicy(e.ctx, &configpb.CreatePolicyRequest{Policy: &configpb.Policy{
					Name: proto.String(fmt.Sprintf("p-%s-%v", tc.role, enforced)), NamespaceId: proto.String(ns.ID),
					Enforced: proto.Bool(enforced), SourcePpl: proto.String(allowAll),
				}})
				if want := map[bool]connect.Code{false: tc.policy, true: tc.enforced}[enforced]; codeOf(err) != want {
					t.Errorf("create a policy (enforced %v): %v, want %v", enforced, err, want)
				}
			}
			// Settings are the Global namespace's: no role in team changes them.
			_, err = c.UpdateSettings(e.ctx, &configpb.UpdateSettingsRequest{Settings: &configpb.Settings{LogLevel: proto.String("debug")}})
			if codeOf(err) != connect.CodeNotFound && codeOf(err) != connect.CodePermissionDenied {
				t.Errorf("update settings with a role in team only: %v, want a refusal", err)
			}
			_, err = c.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: hidden.ID})
			if codeOf(err) != tc.getHidden {
				t.Errorf("get a route of another namespace: %v, want %v", err, tc.getHidden)
			}
			got, err := c.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: existing.Route.GetId()})
			if (err == nil) != tc.seesRoutesOK {
				t.Fatalf("get a route of the namespace: %v", err)
			}
			if err == nil && (got.Route.GetIdpClientSecret() == "s3cret") != tc.seesSecret {
				t.Errorf("idp_client_secret shown: %v, want %v", got.Route.IdpClientSecret, tc.seesSecret)
			}
			list, err := c.ListRoutes(e.ctx, &configpb.ListRoutesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list.Routes {
				if r.GetId() == hidden.ID {
					t.Errorf("a list of every namespace showed a route of a namespace the caller has no role in")
				}
			}
			if _, err := c.DeleteRoute(e.ctx, &configpb.DeleteRouteRequest{Id: hidden.ID}); err != nil {
				t.Errorf("deleting an invisible route: %v, want success as for a missing one", err)
			}
		})
	}
	if _, err := admin.GetRoute(e.ctx, &configpb.GetRouteRequest{Id: hidden.ID}); err != nil {
		t.Fatalf("the invisible route is still there for an admin: %v", err)
	}
}

func mustStruct(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Terraform provider's first call, byte for byte as its SDK sends it
// (Connect, binary protobuf, an empty body); and a refusal as a Connect
// error in JSON, which is how the provider tells NotFound from a failure.
func TestConfigServiceAsTheProviderCallsIt(t *testing.T) {
	e := newEnv(t)
	token := e.adminToken()
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots}, ForceAttemptHTTP2: true}}
	post := func(method string, body []byte) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.url+"/pomerium.config.ConfigService/"+method, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Connect-Protocol-Version", "1")
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("User-Agent", "connect-go/1.20.0 (go1.24.0)")
		req.Header.Set("Authorization", "Pomerium "+token)
		req.Header.Set("jwt", token)
		res, err := h2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = res.Body.Close() })
		return res
	}
	// connect-go asks for gzip, so the transport leaves the body as sent.
	read := func(res *http.Response) []byte {
		t.Helper()
		var r io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	res := post("GetServerInfo", nil)
	body := read(res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/proto" || res.ProtoMajor != 2 {
		t.Fatalf("GetServerInfo: %s %s %q over HTTP/%d", res.Status, res.Header.Get("Content-Type"), body, res.ProtoMajor)
	}
	var info configpb.GetServerInfoResponse
	if err := proto.Unmarshal(body, &info); err != nil || info.ServerType != configpb.ServerType_SERVER_TYPE_ENTERPRISE {
		t.Fatalf("GetServerInfo answered %v (%v), want SERVER_TYPE_ENTERPRISE", &info, err)
	}
	missing, err := proto.Marshal(&configpb.GetRouteRequest{Id: "0b7c3d4e-1f2a-4b5c-8d9e-0f1a2b3c4d5e"})
	if err != nil {
		t.Fatal(err)
	}
	res = post("GetRoute", missing)
	body = read(res)
	var cerr struct{ Code, Message string }
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/json" ||
		json.Unmarshal(body, &cerr) != nil || cerr.Code != "not_found" {
		t.Fatalf("a missing route: %s %s %q, want 404 with a Connect JSON error of code not_found", res.Status, res.Header.Get("Content-Type"), body)
	}
}

// The dashboard API takes the order keywords its clients send too.
func TestDashboardListOrderKeywords(t *testing.T) {
	e := newEnv(t)
	ns := e.namespace(store.GlobalNamespaceID, "a")
	e.route(ns.ID, "zeta", "https://1.example.com")
	e.route(ns.ID, "alpha", "https://2.example.com")
	routes := pb.NewRouteServiceClient(e.conn)
	for order, want := range map[string][]string{"from": {"zeta", "alpha"}, "newest": {"alpha", "zeta"}, "oldest": {"zeta", "alpha"}, "name": {"alpha", "zeta"}} {
		res, err := routes.ListRoutes(as(e.ctx, e.adminToken()), &pb.ListRoutesRequest{Namespace: ns.ID, OrderBy: proto.String(order)})
		if err != nil {
			t.Fatalf("order %s: %v", order, err)
		}
		var got []string
		for _, r := range res.Routes {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("order %s: %v, want %v", order, got, want)
		}
	}
}

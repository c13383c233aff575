package routeedit_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/routeedit"
	"github.com/pomerium-console/pomerium-console/server/web/status"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// Users of the fixture's namespace.
const (
	managerEmail = "manager@example.com"
	viewerEmail  = "viewer@example.com"
)

// fixture is a console with one namespace "team" under Global, a manager
// and a viewer of it, two policies and two key pairs.
type fixture struct {
	t   *testing.T
	env *webtest.Env
	ctx context.Context
	// ns is the team namespace; policies and key pairs are in it.
	ns                  string
	policyA, policyB    string
	caKeyPair, clientKP string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	// Nothing the editor does depends on the backend.
	st := webtest.Embedded(t)
	env := webtest.New(t, st, webtest.Options{Screens: []web.Screen{routeedit.Register, status.Register}})
	f := &fixture{t: t, env: env,
		ctx: t.Context(),
	}
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	ns := put(t, st, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "team"}})
	f.ns = ns.ID
	env.Grant(store.RoleManager, f.ns, store.SubjectUser, managerEmail)
	env.Grant(store.RoleViewer, f.ns, store.SubjectUser, viewerEmail)
	// The manager sees Global's policies too.
	env.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, managerEmail)
	ppl := "allow:\n  or:\n    - email:\n        is: someone@example.com\n"
	f.policyA = put(t, st, actor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "policy a"}, PPL: ppl}).ID
	f.policyB = put(t, st, actor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "policy b"}, PPL: ppl}).ID
	cert, key := webtest.SelfSigned(t, "app.internal", time.Now().Add(time.Hour))
	f.caKeyPair = put(t, st, actor, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "ca"}, Certificate: cert}).ID
	f.clientKP = put(t, st, actor, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "client"}, Certificate: cert, PrivateKey: key}).ID
	return f
}

func put[T store.Object](t *testing.T, st store.Store, actor store.Actor, obj T) T {
	t.Helper()
	out, err := store.Put(t.Context(), st, actor, obj, 0)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// admin is a Global admin, as the use cases take it.
func (f *fixture) admin() *manage.Caller {
	f.t.Helper()
	c, err := f.env.App.Caller(f.ctx, manage.Identity{Subject: webtest.Admin, Email: webtest.Admin, Administrator: true}, store.OriginAPI)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// route reads a route through the use cases, as an admin, in the
// dashboard's message the editor shows.
func (f *fixture) route(id string) *pb.Route {
	f.t.Helper()
	r, err := f.env.App.GetRoute(f.ctx, f.admin(), id)
	if err != nil {
		f.t.Fatalf("get route %s: %v", id, err)
	}
	return convert.RouteOut(r)
}

// count is how many routes a namespace holds.
func (f *fixture) count(namespaceID string) int {
	f.t.Helper()
	page, err := f.env.App.ListRoutes(f.ctx, f.admin(), manage.ListQuery{Namespace: namespaceID})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Total
}

// setRoute writes a route through the use cases, as an admin.
func (f *fixture) setRoute(r *pb.Route) *pb.Route {
	f.t.Helper()
	in, err := convert.RouteToStore(r)
	if err != nil {
		f.t.Fatal(err)
	}
	written, err := f.env.App.SetRoute(f.ctx, f.admin(), manage.RouteInput{Route: in, Through: convert.RouteThrough})
	if err != nil {
		f.t.Fatalf("set route: %v", err)
	}
	return convert.RouteOut(written)
}

// routeOpts compare what a route says, not when or how often it was
// written nor what the service computes.
var routeOpts = cmp.Options{
	protocmp.Transform(),
	protocmp.IgnoreFields(&pb.Route{}, "id", "created_at", "modified_at", "version", "sync_status",
		"namespace_name", "policy_names", "enforced_policy_ids", "enforced_policy_names"),
}

// sameRoute fails the test when got differs from want in what it says.
func sameRoute(t *testing.T, want, got *pb.Route) {
	t.Helper()
	if diff := cmp.Diff(want, got, routeOpts); diff != "" {
		t.Errorf("route differs (-want +got):\n%s", diff)
	}
}

// formOf is what a browser would submit of the form matched by selector:
// enabled fields only, checked boxes, selected options.
func formOf(t *testing.T, page *webtest.Response, selector string) url.Values {
	t.Helper()
	form := page.Find(selector)
	if form.Length() != 1 {
		t.Fatalf("%d forms match %q:\n%s", form.Length(), selector, page.Text())
	}
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if name == "" || s.Is("[disabled]") || s.ParentsFiltered("fieldset[disabled]").Length() > 0 {
			return
		}
		switch goquery.NodeName(s) {
		case "textarea":
			v.Add(name, s.Text())
		case "select":
			chosen := s.Find("option[selected]")
			if chosen.Length() == 0 && !s.Is("[multiple]") {
				chosen = s.Find("option").First()
			}
			chosen.Each(func(_ int, o *goquery.Selection) { v.Add(name, o.AttrOr("value", o.Text())) })
		default:
			switch s.AttrOr("type", "text") {
			case "checkbox", "radio":
				if s.Is("[checked]") {
					v.Add(name, s.AttrOr("value", "on"))
				}
			default:
				v.Add(name, s.AttrOr("value", ""))
			}
		}
	})
	return v
}

// editForm opens a tab of a route and returns the form a browser would
// submit unchanged.
func editForm(t *testing.T, b *webtest.Browser, id, tab string) url.Values {
	t.Helper()
	page := b.Get("/routes/" + id + "?tab=" + tab)
	if page.Status != 200 {
		t.Fatalf("open tab %s: status %d: %s", tab, page.Status, page.Text())
	}
	return formOf(t, page, `form[action="/routes/`+id+`"]`)
}

// fieldError is the error shown next to a form field.
func fieldError(page *webtest.Response, field string) string {
	return strings.TrimSpace(page.Find("#e-" + field).Text())
}

// fullRoute is a route of the fixture's namespace with every field the
// editor offers set (prefix_rewrite aside: it excludes
// regex_rewrite_pattern).
func fullRoute(f *fixture) *pb.Route {
	return &pb.Route{
		NamespaceId: f.ns, Name: "app", Description: new("The app"), LogoUrl: new("https://example.com/logo.png"),
		StatName: "app_stat", From: "https://app.example.com",
		To:        []string{"http://app1.internal:8080,1", "http://app2.internal:8080,3"},
		PolicyIds: []string{f.policyA, f.policyB}, DependsOn: []string{"other.example.com"},
		AllowUpgrades:       &pb.Route_StringList{Values: []string{"websocket"}},
		PassIdentityHeaders: new(false), AllowWebsockets: new(true), AllowSpdy: new(true), PreserveHostHeader: new(true),
		EnableGoogleCloudServerlessAuthentication: true, ShowErrorDetails: true,
		SessionRecording: &pb.SessionRecording{Enabled: new(true)},
		UpstreamTunnel:   &pb.UpstreamTunnel{SshPolicyId: new(f.policyB)},
		IdpClientId:      new("client-id"), IdpClientSecret: new("s3cret"),
		IdpAccessTokenAllowedAudiences: &pb.Route_StringList{Values: []string{"aud1", "aud2"}},

		Prefix: new("/api"), Path: new("/api/exact"), Regex: new("^/api/.*$"), RegexPriorityOrder: new(int64(5)),
		RegexRewritePattern: new("^/api/(.*)$"), RegexRewriteSubstitution: new(`/\1`),
		HostRewrite: new("internal.example.com"), HostRewriteHeader: new("X-Host"),
		HostPathRegexRewritePattern: new("^/(.+)/.*$"), HostPathRegexRewriteSubstitution: new(`\1`),

		Timeout: durationpb.New(30e9), IdleTimeout: durationpb.New(300e9),

		SetRequestHeaders:    map[string]string{"X-A": "1", "X-B": "two words"},
		RemoveRequestHeaders: []string{"X-Remove"},
		SetResponseHeaders:   map[string]string{"X-Frame-Options": "DENY"},
		RewriteResponseHeaders: []*pb.RouteRewriteHeader{
			{Header: "Location", Matcher: &pb.RouteRewriteHeader_Prefix{Prefix: "http://internal/"}, Value: "https://app.example.com/"},
			{Header: "X-Plain", Value: "value"},
		},
		JwtIssuerFormat:               new(pb.IssuerFormat_IssuerURI),
		BearerTokenFormat:             new(pb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN),
		JwtGroupsFilter:               &pb.JwtGroupsFilter{Groups: []string{"admins", "users"}, InferFromPpl: new(true)},
		KubernetesServiceAccountToken: new("k8s-token"),

		TlsSkipVerify: new(true), TlsUpstreamServerName: new("app.internal"), TlsDownstreamServerName: new("app.example.com"),
		TlsCustomCaKeyPairId: new(f.caKeyPair), TlsClientKeyPairId: new(f.clientKP),
		TlsDownstreamClientCaKeyPairId: new(f.caKeyPair), TlsUpstreamAllowRenegotiation: new(true),

		LoadBalancingPolicy:   new(pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST),
		HealthyPanicThreshold: new(int32(50)),
		CircuitBreakerThresholds: &pb.CircuitBreakerThresholds{
			MaxConnections: new(uint32(1)), MaxPendingRequests: new(uint32(2)), MaxRequests: new(uint32(3)),
			MaxRetries: new(uint32(4)), MaxConnectionPools: new(uint32(5)),
		},
		HealthChecks: []*pb.HealthCheck{{
			Timeout: durationpb.New(5e9), Interval: durationpb.New(10e9), UnhealthyThreshold: 3, HealthyThreshold: 1,
			HealthChecker: &pb.HealthCheck_HttpHealthCheck_{HttpHealthCheck: &pb.HealthCheck_HttpHealthCheck{Path: "/healthz"}},
		}},
	}
}

// fullRouteSpec is fullRoute as the store keeps it.
func fullRouteSpec(t *testing.T, f *fixture) *configpb.Route {
	t.Helper()
	r, err := convert.RouteToStore(fullRoute(f))
	if err != nil {
		t.Fatal(err)
	}
	return r.Spec
}

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
)

// importedConfig is an open-source Pomerium configuration with eight routes
// of every kind the importer takes (weights and a load balancing policy,
// TLS server name, custom CA and client certificate, JWT formats, redirect,
// direct response, TCP, inline access rules and PPL).
const (
	importedConfig = "../../../importer/testdata/config.yaml"
	importedRoutes = 8
)

// TestPomeriumServesWhatTheConsoleWrites runs serve against Pomerium's own
// databroker, writes a varied desired state through the dashboard API,
// ConfigService and import, waits until the console reports every object
// synced, and asks Pomerium's own config builder what it would serve: every
// route, each with exactly its own policies and the enforced ones of the
// namespaces above it, without an error or a warning, and the whole
// configuration accepted.
func TestPomeriumServesWhatTheConsoleWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		store storeConfig
	}{
		{"embedded store", embeddedStore},
		{"postgres store", postgresStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pomerium.Exclusive(t)
			c := startConsole(t, tc.store)
			s := newScene(t, c)
			s.write(c, newCertificates(t))
			s.waitSynced()
			report, err := pomerium.Check(t.Context(), pomeriumtest.CheckOptions{Settle: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			s.assertServed(report)
		})
	}
}

// PPL of the scene's policies.
const (
	denyTrace       = "deny:\n  or:\n    - http_method:\n        is: TRACE\n"
	platformStaff   = "allow:\n  and:\n    - authenticated_user: true\n"
	teamContractors = "deny:\n  or:\n    - domain:\n        is: contractors.example.com\n"
	teamOptional    = "allow:\n  or:\n    - groups:\n        has: team-extra\n"
	appUsers        = "allow:\n  or:\n    - groups:\n        has: app-users\n    - email:\n        is: owner@corp.example.com\n    - device:\n        approved: true\n        type: any\n"
	configClients   = "allow:\n  and:\n    - user:\n        is: reports-bot\n    - http_method:\n        is: GET\n"
	sandboxOpen     = "allow:\n  or:\n    - accept: true\n"
)

// write builds the scene: a namespace tree with enforced policies at three
// levels, key pairs, routes of every kind through the dashboard API and
// ConfigService, the global settings, and an import.
func (s *scene) write(c *console, certs certificates) {
	g := store.GlobalNamespaceID
	platform := s.namespace(g, "Platform")
	team := s.namespace(platform, "Team")
	app := s.namespace(team, "App")
	sandbox := s.namespace(g, "Sandbox")
	imported := s.namespace(platform, "Imported")

	s.policy(g, "No TRACE", denyTrace, true)
	s.policy(platform, "Platform staff", platformStaff, true)
	s.configPolicy(team, "No contractors", teamContractors, true)
	s.policy(team, "Team extra", teamOptional, false) // on no route
	users := s.policy(app, "App users", appUsers, false)
	clients := s.configPolicy(app, "Report clients", configClients, false)
	open := s.policy(sandbox, "Open", sandboxOpen, false)

	ca := s.keyPair(g, "Upstream CA", certs.ca, nil)
	client := s.keyPair(team, "Proxy client", certs.clientCert, certs.clientKey)
	wildcard := s.configKeyPair(g, "Corp wildcard", certs.serverCert, certs.serverKey)

	s.writeAppRoutes(app, users, clients)
	s.writeTeamRoutes(team, ca, client)
	s.writeOtherRoutes(platform, sandbox, open)
	s.configRoute(&configpb.Route{
		NamespaceId: new(app), Name: new("Reports"), From: "https://reports.corp.example.com",
		To: []string{"https://reports-1.internal:8443", "https://reports-2.internal:8443"}, LoadBalancingWeights: []uint32{2, 1},
		TlsServerName: "reports.internal", TlsCustomCaKeyPairId: new(ca), Timeout: durationpb.New(time.Minute),
		PolicyIds: []string{clients},
	})
	s.configRoute(&configpb.Route{
		NamespaceId: new(sandbox), Name: new("Bastion"), From: "tcp+https://bastion.corp.example.com:22",
		To: []string{"tcp://bastion.internal:22"}, PolicyIds: []string{open},
	})
	s.writeSettings(wildcard)

	c.run("import", "--namespace", "Global/Platform/Imported", importedConfig)
	s.imported(imported, importedRoutes)
}

// writeAppRoutes writes routes of one host told apart by prefix, path and
// regex, with the rewrites, headers and timeouts that go with them.
func (s *scene) writeAppRoutes(app, users, clients string) {
	s.route(&pb.Route{
		NamespaceId: app, Name: "API", From: "https://app.corp.example.com", To: []string{"http://api.internal:8080"},
		Prefix: new("/api/"), PrefixRewrite: new("/"),
		Timeout: durationpb.New(30 * time.Second), IdleTimeout: durationpb.New(5 * time.Minute),
		SetRequestHeaders:    map[string]string{"X-Team": "app"},
		RemoveRequestHeaders: []string{"X-Debug"},
		SetResponseHeaders:   map[string]string{"Strict-Transport-Security": "max-age=31536000"},
		RewriteResponseHeaders: []*pb.RouteRewriteHeader{{Header: "Location",
			Matcher: &pb.RouteRewriteHeader_Prefix{Prefix: "http://api.internal:8080/"}, Value: "https://app.corp.example.com/api/"}},
		AllowWebsockets: new(true), PassIdentityHeaders: new(true),
		PolicyIds: []string{users},
	})
	s.route(&pb.Route{
		NamespaceId: app, Name: "Health", From: "https://app.corp.example.com", To: []string{"http://health.internal:8081"},
		Path: new("/healthz"), HostRewrite: new("health.internal"),
		PolicyIds: []string{users},
	})
	s.route(&pb.Route{
		NamespaceId: app, Name: "Versioned API", From: "https://app.corp.example.com", To: []string{"http://api.internal:8080"},
		Regex: new(`^/v[0-9]+/.*$`), RegexPriorityOrder: new(int64(5)),
		RegexRewritePattern: new(`^/v([0-9]+)/(.*)$`), RegexRewriteSubstitution: new(`/\2?version=\1`),
		HostRewriteHeader: new("X-Upstream-Host"),
		PolicyIds:         []string{users, clients},
	})
}

// writeTeamRoutes writes routes with the TLS and load balancing fields.
func (s *scene) writeTeamRoutes(team, ca, client string) {
	s.route(&pb.Route{
		NamespaceId: team, Name: "Wiki", From: "https://wiki.corp.example.com", To: []string{"http://wiki.internal"},
		HostPathRegexRewritePattern: new(`^/(.+)$`), HostPathRegexRewriteSubstitution: new(`\1`),
	})
	s.route(&pb.Route{
		NamespaceId: team, Name: "Legacy", From: "https://legacy.corp.example.com", To: []string{"https://legacy.internal:8443"},
		TlsSkipVerify: new(true), TlsUpstreamServerName: new("legacy.internal"), TlsDownstreamServerName: new("legacy.corp.example.com"),
		TlsUpstreamAllowRenegotiation: new(true),
	})
	s.route(&pb.Route{
		NamespaceId: team, Name: "Billing", From: "https://billing.corp.example.com", To: []string{"https://billing.internal:8443"},
		TlsCustomCaKeyPairId: new(ca), TlsClientKeyPairId: new(client), TlsUpstreamServerName: new("billing.internal"),
	})
	s.route(&pb.Route{
		NamespaceId: team, Name: "Search", From: "https://search.corp.example.com",
		To:                  []string{"http://search-1.internal:9200,1", "http://search-2.internal:9200,3"},
		LoadBalancingPolicy: pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST.Enum(),
		HealthChecks: []*pb.HealthCheck{{
			Timeout: durationpb.New(2 * time.Second), Interval: durationpb.New(10 * time.Second),
			UnhealthyThreshold: 3, HealthyThreshold: 2,
			HealthChecker: &pb.HealthCheck_HttpHealthCheck_{HttpHealthCheck: &pb.HealthCheck_HttpHealthCheck{Path: "/_cluster/health"}},
		}},
		HealthyPanicThreshold:    new(int32(40)),
		CircuitBreakerThresholds: &pb.CircuitBreakerThresholds{MaxConnections: new(uint32(100)), MaxRequests: new(uint32(1000))},
	})
}

// writeOtherRoutes writes an identity-aware route, a redirect, a direct
// response and a TCP route.
func (s *scene) writeOtherRoutes(platform, sandbox, open string) {
	s.route(&pb.Route{
		NamespaceId: platform, Name: "Identity", From: "https://whoami.corp.example.com", To: []string{"http://whoami.internal"},
		JwtIssuerFormat: pb.IssuerFormat_IssuerURI.Enum(), BearerTokenFormat: pb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN.Enum(),
		JwtGroupsFilter:                &pb.JwtGroupsFilter{Groups: []string{"admins"}},
		IdpAccessTokenAllowedAudiences: &pb.Route_StringList{Values: []string{"api://corp"}},
		AllowSpdy:                      new(true), PreserveHostHeader: new(true), PassIdentityHeaders: new(true),
	})
	s.route(&pb.Route{
		NamespaceId: sandbox, Name: "Old docs", From: "https://docs-old.corp.example.com", Prefix: new("/v1/"),
		Redirect: &pb.RedirectAction{
			SchemeRewriteSpecifier: &pb.RedirectAction_HttpsRedirect{HttpsRedirect: true}, HostRedirect: "docs.corp.example.com",
			PathRewriteSpecifier: &pb.RedirectAction_PrefixRewrite{PrefixRewrite: "/v2/"},
			ResponseCode:         pb.RedirectAction_PERMANENT_REDIRECT, StripQuery: true,
		},
		PolicyIds: []string{open},
	})
	s.route(&pb.Route{
		NamespaceId: sandbox, Name: "Status", From: "https://status.corp.example.com",
		Response: &pb.RouteDirectResponse{Status: 200, Body: "ok"}, PolicyIds: []string{open},
	})
	s.route(&pb.Route{
		NamespaceId: store.GlobalNamespaceID, Name: "Redis", From: "tcp+https://redis.corp.example.com:6379", To: []string{"tcp://redis.internal:6379"},
	})
}

func (s *scene) writeSettings(certificate string) {
	s.t.Helper()
	_, err := s.settings.SetSettings(s.ctx, &pb.SetSettingsRequest{Settings: &pb.Settings{
		AuthenticateServiceUrl: new("https://authenticate.corp.example.com"),
		CookieName:             new("_corp_pomerium"), CookieExpire: durationpb.New(8 * time.Hour), CookieSameSite: new("lax"),
		TimeoutRead: durationpb.New(30 * time.Second), TimeoutIdle: durationpb.New(5 * time.Minute),
		DefaultUpstreamTimeout: durationpb.New(30 * time.Second),
		SetResponseHeaders:     map[string]string{"X-Frame-Options": "SAMEORIGIN"},
		JwtClaimsHeaders:       map[string]string{"X-Email": "email"},
		PassIdentityHeaders:    new(true),
		Certificates:           []*pb.Settings_Certificate{{KeyPairId: certificate}},
	}})
	if err != nil {
		s.t.Fatalf("set settings: %v", err)
	}
}

// waitSynced polls the console until it reports every route, policy and key
// pair, and the settings, synced at their current version, and no route
// missing: the console's own account of having written them all.
func (s *scene) waitSynced() {
	s.t.Helper()
	wait.Until(s.t, "every object synced", 2*time.Minute, func() (bool, string) {
		var pending []string
		note := func(kind, name string, version int64, st interface {
			GetState() string
			GetObjectVersion() int64
			GetReason() string
		}) {
			if st.GetState() != "synced" || st.GetObjectVersion() != version {
				pending = append(pending, fmt.Sprintf("%s %q: %s at %d of %d %s", kind, name, st.GetState(), st.GetObjectVersion(), version, st.GetReason()))
			}
		}
		all := new(int64(1000))
		routes := 0
		for _, ns := range s.namespaceIDs() {
			rs, err := s.routes.ListRoutes(s.ctx, &pb.ListRoutesRequest{Namespace: ns, Limit: all})
			if err != nil {
				s.t.Fatalf("list routes: %v", err)
			}
			routes += len(rs.GetRoutes())
			for _, r := range rs.GetRoutes() {
				note("route", r.GetName()+" "+r.GetFrom(), r.GetVersion(), r.GetSyncStatus())
			}
			ps, err := s.policies.ListPolicies(s.ctx, &pb.ListPoliciesRequest{Namespace: ns, Limit: all})
			if err != nil {
				s.t.Fatalf("list policies: %v", err)
			}
			for _, p := range ps.GetPolicies() {
				note("policy", p.GetName(), p.GetVersion(), p.GetSyncStatus())
			}
			ks, err := s.keyPairs.ListKeyPairs(s.ctx, &pb.ListKeyPairsRequest{NamespaceId: ns, Limit: all})
			if err != nil {
				s.t.Fatalf("list key pairs: %v", err)
			}
			for _, k := range ks.GetKeyPairs() {
				note("key pair", k.GetName(), k.GetVersion(), k.GetSyncStatus())
			}
		}
		if routes != len(s.want) {
			pending = append(pending, fmt.Sprintf("%d routes listed, want %d", routes, len(s.want)))
		}
		settings, err := s.settings.GetSettings(s.ctx, &pb.GetSettingsRequest{})
		if err != nil {
			s.t.Fatalf("get settings: %v", err)
		}
		note("settings", "global", settings.GetSettings().GetVersion(), settings.GetSettings().GetSyncStatus())
		return len(pending) == 0, strings.Join(pending, "; ")
	})
}

// assertServed holds configcheck's report to the scene: exactly the
// scene's routes, each served with exactly the policies expected and
// nothing Pomerium complains of, and the whole configuration accepted.
func (s *scene) assertServed(r *pomeriumtest.Report) {
	s.t.Helper()
	if r.ExitCode != 0 || !r.Summary.LastBuildOK || r.Summary.Errors != 0 || r.Summary.SettingsError != "" ||
		r.Summary.Routes != len(s.want) || r.Summary.ServedRoutes != len(s.want) {
		s.t.Errorf("configcheck exited %d with summary %s, want %d routes served and the build accepted; stderr:\n%s",
			r.ExitCode, r.Summary.Raw, len(s.want), r.Stderr)
	}
	seen := map[string]bool{}
	for _, route := range r.Routes {
		want, ours := s.want[route.ID]
		if !ours {
			s.t.Errorf("Pomerium serves a route the scene did not write: %s", route.Raw)
			continue
		}
		if seen[route.ID] {
			s.t.Errorf("route %s reported twice", route.ID)
		}
		seen[route.ID] = true
		var got, names []string
		for _, p := range route.Policies {
			got, names = append(got, p.ID), append(names, p.Name)
			if p.PPLError != "" {
				s.t.Errorf("route %s: policy %s (%s) does not parse: %s", route.From, p.ID, p.Name, p.PPLError)
			}
		}
		slices.Sort(got)
		if !route.Served || route.Error != "" || route.RegoError != "" || len(route.Warnings) != 0 || !slices.Equal(got, want) {
			s.t.Errorf("route %s %q: served %v, policies %v %q (want %v), error %q, rego error %q, warnings %q",
				route.From, route.Name, route.Served, got, names, want, route.Error, route.RegoError, route.Warnings)
		}
	}
	for id := range s.want {
		if !seen[id] {
			s.t.Errorf("route %s is not in Pomerium's configuration", id)
		}
	}
}

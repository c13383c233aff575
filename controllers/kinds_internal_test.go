package controllers

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// TestRouteSpecTranslation sets every field of a RouteSpec and checks what
// the store gets, and that compilation accepts it.
func TestRouteSpecTranslation(t *testing.T) {
	t.Parallel()
	kp := "a0000000-0000-4000-8000-000000000001"
	in := &v1alpha1.RouteSpec{
		Description: "d", LogoURL: "https://logo.example.com/x.png", StatName: "app",
		From: "https://app.example.com", To: []string{"https://a.internal", "https://b.internal"}, LoadBalancingPolicy: "LEAST_REQUEST",
		Prefix: "/api", RegexPriorityOrder: proto.Int64(2),
		PrefixRewrite: "/v2", RegexRewritePattern: "^/x", RegexRewriteSubstitution: "/y",
		HostRewrite: "h.internal", PreserveHostHeader: true,
		AllowAnyAuthenticatedUser: true, CORSAllowPreflight: true, PassIdentityHeaders: proto.Bool(true), ShowErrorDetails: true,
		Timeout: &metav1.Duration{Duration: 30 * time.Second}, IdleTimeout: &metav1.Duration{Duration: time.Minute},
		AllowWebsockets: true, AllowSPDY: true,
		SetRequestHeaders: map[string]string{"X-A": "1"}, RemoveRequestHeaders: []string{"X-B"}, SetResponseHeaders: map[string]string{"X-C": "2"},
		RewriteResponseHeaders: []v1alpha1.RewriteHeader{{Header: "Location", Value: "/new", Prefix: "/old"}},
		AllowUpgrades:          []string{"CONNECT-UDP"},
		TLS: &v1alpha1.RouteTLS{SkipVerify: true, ServerName: "s", UpstreamServerName: "u", DownstreamServerName: "d",
			CustomCAKeyPairID: kp, ClientKeyPairID: kp, UpstreamAllowRenegotiation: true},
		DependsOn: []string{"other.example.com"}, JWTIssuerFormat: "IssuerURI", JWTGroupsFilter: []string{"g"},
		JWTGroupsFilterInferFromPPL: proto.Bool(true), BearerTokenFormat: "IDP_ACCESS_TOKEN",
		IDPAccessTokenAllowedAudiences: []string{"aud"}, EnableGoogleCloudServerlessAuthentication: true,
		CircuitBreakerThresholds: &v1alpha1.CircuitBreakerThresholds{MaxConnections: proto.Int64(10), MaxRetries: proto.Int64(3)},
		HealthyPanicThreshold:    proto.Int32(50),
	}
	lb, iss, bearer := configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST, configpb.IssuerFormat_IssuerURI, configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN
	want := &configpb.Route{
		Description: proto.String("d"), LogoUrl: proto.String("https://logo.example.com/x.png"), StatName: proto.String("app"),
		From: "https://app.example.com", To: []string{"https://a.internal", "https://b.internal"}, LoadBalancingPolicy: &lb,
		Prefix: "/api", RegexPriorityOrder: proto.Int64(2),
		PrefixRewrite: "/v2", RegexRewritePattern: "^/x", RegexRewriteSubstitution: "/y",
		HostRewrite: proto.String("h.internal"), PreserveHostHeader: true,
		AllowAnyAuthenticatedUser: true, CorsAllowPreflight: true, PassIdentityHeaders: proto.Bool(true), ShowErrorDetails: true,
		Timeout: durationpb.New(30 * time.Second), IdleTimeout: durationpb.New(time.Minute), AllowWebsockets: true, AllowSpdy: true,
		SetRequestHeaders: map[string]string{"X-A": "1"}, RemoveRequestHeaders: []string{"X-B"}, SetResponseHeaders: map[string]string{"X-C": "2"},
		RewriteResponseHeaders: []*configpb.RouteRewriteHeader{{Header: "Location", Value: "/new", Matcher: &configpb.RouteRewriteHeader_Prefix{Prefix: "/old"}}},
		AllowUpgrades:          &configpb.Route_StringList{Values: []string{"CONNECT-UDP"}},
		TlsSkipVerify:          true, TlsServerName: "s", TlsUpstreamServerName: "u", TlsDownstreamServerName: "d",
		TlsCustomCaKeyPairId: proto.String(kp), TlsClientKeyPairId: proto.String(kp), TlsUpstreamAllowRenegotiation: true,
		DependsOn: []string{"other.example.com"}, JwtIssuerFormat: &iss, JwtGroupsFilter: []string{"g"},
		JwtGroupsFilterInferFromPpl: proto.Bool(true), BearerTokenFormat: &bearer,
		IdpAccessTokenAllowedAudiences: &configpb.Route_StringList{Values: []string{"aud"}}, EnableGoogleCloudServerlessAuthentication: true,
		CircuitBreakerThresholds: &configpb.CircuitBreakerThresholds{MaxConnections: proto.Uint32(10), MaxRetries: proto.Uint32(3)},
		HealthyPanicThreshold:    proto.Int32(50),
	}
	got := routeSpec(in)
	if diff := gocmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("translation (-want +got):\n%s", diff)
	}
	// Compilation takes one of the two rewrites; admission refuses both.
	checked := proto.CloneOf(got)
	checked.PrefixRewrite = ""
	if st := compile.CheckRoute(checked); !st.Valid {
		t.Errorf("compilation refuses the translation: %+v", st)
	}
}

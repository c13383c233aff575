package convert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestRouteFieldsAccounted(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &pb.Route{} },
		listed:     keys(routeUnconverted),
		convert: func(t *testing.T, in proto.Message) proto.Message {
			r, err := RouteToStore(in.(*pb.Route))
			if err != nil {
				t.Fatalf("RouteToStore: %v", err)
			}
			return RouteFromStore(r, nil)
		},
	}.check(t)
}

func TestRouteSpecFieldsAccounted(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &configpb.Route{} },
		listed:     keys(routeHidden),
		fixup: func(m proto.Message, round int) {
			// A record may set what the API holds in one oneof twice, and
			// any status code: keep to what the API can say.
			r := m.(*configpb.Route).Redirect
			r.ResponseCode = new(int32(308))
			if round%2 == 0 {
				r.HttpsRedirect, r.PathRedirect = nil, nil
			} else {
				r.SchemeRedirect, r.PrefixRewrite = nil, nil
			}
		},
		convert: func(t *testing.T, in proto.Message) proto.Message {
			r, err := RouteToStore(RouteFromStore(&store.Route{Spec: in.(*configpb.Route)}, nil))
			if err != nil {
				t.Fatalf("RouteToStore: %v", err)
			}
			return r.Spec
		},
	}.check(t)
}

func TestRouteToStoreRefuses(t *testing.T) {
	t.Parallel()
	hc := func(codec pb.CodecClientType) []*pb.HealthCheck {
		return []*pb.HealthCheck{{}, {HealthChecker: &pb.HealthCheck_HttpHealthCheck_{
			HttpHealthCheck: &pb.HealthCheck_HttpHealthCheck{CodecClientType: codec}}}}
	}
	testRefusals(t, func(r *pb.Route) error { _, err := RouteToStore(r); return err }, []refusal[*pb.Route]{
		{"regex redirect", &pb.Route{Redirect: &pb.RedirectAction{PathRewriteSpecifier: &pb.RedirectAction_RegexRewrite{}}},
			"route.redirect.regex_rewrite: is not supported: Pomerium v0.33.0 route records (pomerium.config.RouteRedirect) have no regex redirect; use path_redirect or prefix_rewrite"},
		{"unknown response code", &pb.Route{Redirect: &pb.RedirectAction{ResponseCode: 9}},
			"route.redirect.response_code: value 9 is not a known response code"},
		{"unknown enum value", &pb.Route{LoadBalancingPolicy: new(pb.LoadBalancingPolicy(9))},
			"route.load_balancing_policy: value 9 is not a known LoadBalancingPolicy"},
		{"unknown nested enum value", &pb.Route{HealthChecks: hc(7)},
			"route.health_checks[1].http_health_check.codec_client_type: value 7 is not a known CodecClientType"},
		{"bad weight", &pb.Route{To: []string{"http://a,1", "http://b,x"}},
			`route.to[1]: "http://b,x": the load balancing weight after the comma must be a whole number from 1 to 4294967295`},
		{"zero weight", &pb.Route{To: []string{"http://a,0"}},
			`route.to[0]: "http://a,0": the load balancing weight after the comma must be a whole number from 1 to 4294967295`},
		{"some weights", &pb.Route{To: []string{"http://a,1", "http://b"}},
			"route.to: either every URL or none must carry a load balancing weight"},
		{"bad timestamp", &pb.Route{CreatedAt: &timestamppb.Timestamp{Nanos: -1}},
			"route.created_at: is not a valid timestamp: seconds 0, nanos -1"},
	})
}

// TestRouteToStoreIgnoresComputed sends a route back as a client read it:
// the computed and output-only fields do not reach the store.
func TestRouteToStoreIgnoresComputed(t *testing.T) {
	t.Parallel()
	in := &pb.Route{
		Name: "app", From: "https://app.example.com", To: []string{"http://app"},
		DeletedAt: timestamppb.Now(), OriginatorId: "someone", NamespaceName: "ns",
		PolicyNames: []string{"p"}, EnforcedPolicyIds: []string{"e"}, EnforcedPolicyNames: []string{"E"},
		Version: 7, SyncStatus: &consolepb.SyncStatus{State: "synced"},
	}
	got, err := RouteToStore(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Route{ObjectMeta: store.ObjectMeta{Name: "app"},
		Spec: &configpb.Route{From: "https://app.example.com", To: []string{"http://app"}}}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		api    *pb.RedirectAction
		record *configpb.RouteRedirect
	}{
		{"empty path is a setting",
			&pb.RedirectAction{PathRewriteSpecifier: &pb.RedirectAction_PathRedirect{}},
			&configpb.RouteRedirect{PathRedirect: new("")}},
		{"the default code stays unset",
			&pb.RedirectAction{HostRedirect: "b.example.com", ResponseCode: pb.RedirectAction_MOVED_PERMANENTLY},
			&configpb.RouteRedirect{HostRedirect: new("b.example.com")}},
		{"codes",
			&pb.RedirectAction{ResponseCode: pb.RedirectAction_TEMPORARY_REDIRECT, StripQuery: true, PortRedirect: 8443,
				SchemeRewriteSpecifier: &pb.RedirectAction_HttpsRedirect{HttpsRedirect: true}},
			&configpb.RouteRedirect{ResponseCode: new(int32(307)), StripQuery: new(true), PortRedirect: new(uint32(8443)),
				HttpsRedirect: new(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := redirectToStore(tc.api)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.record, got, protocmp.Transform()); diff != "" {
				t.Errorf("to store (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.api, redirectFromStore(got), protocmp.Transform()); diff != "" {
				t.Errorf("from store (-want +got):\n%s", diff)
			}
		})
	}
	if got := redirectFromStore(&configpb.RouteRedirect{ResponseCode: new(int32(301))}); got.ResponseCode != pb.RedirectAction_MOVED_PERMANENTLY {
		t.Errorf("301 reads as %v", got.ResponseCode)
	}
}

func TestUpstreamWeights(t *testing.T) {
	t.Parallel()
	r, err := RouteToStore(&pb.Route{To: []string{"http://a,3", "http://b, 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"http://a", "http://b"}, r.Spec.To); diff != "" {
		t.Errorf("to (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint32{3, 1}, r.Spec.LoadBalancingWeights); diff != "" {
		t.Errorf("weights (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"http://a,3", "http://b,1"}, RouteFromStore(r, nil).To); diff != "" {
		t.Errorf("back (-want +got):\n%s", diff)
	}
	// Weights that do not pair up are the compiler's to report.
	odd := RouteFromStore(&store.Route{Spec: &configpb.Route{To: []string{"http://a", "http://b"}, LoadBalancingWeights: []uint32{1}}}, nil)
	if diff := cmp.Diff([]string{"http://a", "http://b"}, odd.To); diff != "" {
		t.Errorf("odd weights (-want +got):\n%s", diff)
	}
}

// TestRouteThrough: what the API cannot express of a route is lost on its
// trip through the API's Route, and what it can express comes back.
func TestRouteThrough(t *testing.T) {
	t.Parallel()
	stored := &configpb.Route{
		From: "https://old.example.com", To: []string{"http://a"}, CorsAllowPreflight: true,
		OutlierDetection: &configpb.OutlierDetection{SplitExternalLocalOriginErrors: true},
		AllowedUsers:     []string{"someone@example.com"}, TlsCustomCa: "Q0E=",
	}
	back, err := RouteThrough(stored)
	if err != nil {
		t.Fatal(err)
	}
	want := &configpb.Route{From: "https://old.example.com", To: []string{"http://a"}}
	if diff := cmp.Diff(want, back, protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

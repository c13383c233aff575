package convert

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRouteExplicit: the optional fields a route sets to a zero value its
// spec cannot hold are named, nested ones by path; those the spec holds
// (description "") and those set to another value are not.
func TestRouteExplicit(t *testing.T) {
	t.Parallel()
	in := &pb.Route{
		From: "https://app.example.com", AllowWebsockets: new(false), Prefix: new(""), TlsSkipVerify: new(true),
		Description: new(""), SessionRecording: &pb.SessionRecording{Enabled: new(false)},
	}
	r, err := RouteToStore(in)
	if err != nil {
		t.Fatal(err)
	}
	got := RouteExplicit(in, r)
	if want := []string{
		"pomerium.dashboard.Route:allow_websockets", "pomerium.dashboard.Route:prefix", "pomerium.dashboard.Route:session_recording.enabled",
	}; !slices.Equal(got, want) {
		t.Errorf("explicit %q, want %q", got, want)
	}
	r.Explicit = got
	if diff := cmp.Diff(in, RouteFromStore(r, nil), protocmp.Transform()); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if got := RouteExplicit(&pb.Route{From: "https://app.example.com"}, r); got == nil || len(got) != 0 {
		t.Errorf("explicit of a route that sets none: %#v, want empty and not nil", got)
	}
}

// TestRestoreExplicitYieldsToTheStore: an explicit field whose way no
// longer leads to it is passed over: a message on the way that is gone is
// not made again, another member of a oneof is not replaced, a field that
// is set keeps its value, and a path that names nothing is ignored; so is
// one of another message, whose field of that name is another's.
func TestRestoreExplicitYieldsToTheStore(t *testing.T) {
	t.Parallel()
	r := &store.Route{
		Spec: &configpb.Route{From: "https://app.example.com", AllowSpdy: true, Mcp: &configpb.MCP{Mode: &configpb.MCP_Client{Client: &configpb.MCPClient{}}}},
		Explicit: []string{
			"pomerium.dashboard.Route:allow_spdy", "pomerium.dashboard.Route:session_recording.enabled",
			"pomerium.dashboard.Route:mcp.server.path", "pomerium.dashboard.Route:no_such_field",
			"pomerium.dashboard.Route:from.nested", "pomerium.dashboard.Route:to",
			"pomerium.config.Route:allow_websockets", "description",
		},
	}
	want := &pb.Route{From: "https://app.example.com", AllowSpdy: new(true), Mcp: &pb.MCP{Mode: &pb.MCP_Client{Client: &pb.MCPClient{}}}}
	if diff := cmp.Diff(want, RouteFromStore(r, nil), protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

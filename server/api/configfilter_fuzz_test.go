package api

import (
	"errors"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// FuzzConfigFilter parses whatever JSON object it is given as the filter
// of a ListRoutes call and matches what it accepts against routes. The
// parser either accepts or refuses with InvalidArgument naming a key under
// "filter"; matching never panics; and a filter on one field's value
// alone keeps exactly the routes with that value.
func FuzzConfigFilter(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"name": "a"}`,
		`{"namespace_id": "x", "query": "app", "cluster_id": ""}`,
		`{"$or": [{"from": "https://a.example.com"}, {"name": ["b", "c"]}]}`,
		`{"$and": [{"name": "a"}], "$not": {"prefix": "/x"}}`,
		`{"redirect": {"https_redirect": true}}`,
		`{"name": {"$eq": "a"}}`,
		`{"timeout": {"seconds": 3}}`,
		`{"load_balancing_policy": "LOAD_BALANCING_POLICY_RING_HASH"}`,
		`{"$or": "not a list"}`,
		`{"set_request_headers": {"x": "y"}}`,
		`{"to": null}`,
		`{"$gt": 1}`,
		`{"policy_ids": ["p1", 2, true]}`,
	} {
		f.Add(seed)
	}
	routes := []*configpb.Route{
		{Name: proto.String("a"), From: "https://a.example.com", To: []string{"https://a"}, Prefix: "/x"},
		{Name: proto.String("b"), From: "https://b.example.com", PolicyIds: []string{"p1"},
			Redirect: &configpb.RouteRedirect{HttpsRedirect: proto.Bool(true)}},
		{Name: proto.String("c"), From: "tcp+https://c.example.com:22", LoadBalancingPolicy: configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RING_HASH.Enum()},
		{},
	}
	md := (&configpb.Route{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, filter string) {
		var s structpb.Struct
		if err := protojson.Unmarshal([]byte(filter), &s); err != nil {
			return
		}
		lf, err := parseListFilter(&s, md)
		if err != nil {
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument || !strings.HasPrefix(ce.Message(), "filter") {
				t.Fatalf("filter %s refused with %v, want InvalidArgument naming a key under filter", filter, err)
			}
			return
		}
		for _, r := range routes {
			if lf.rest != nil {
				lf.rest.match(r.ProtoReflect())
			}
		}
		// A filter on the name of a route kept apart for the store's query.
		if v, ok := s.Fields["name"]; ok && len(s.Fields) == 1 && v.GetStringValue() != "" && lf.name != v.GetStringValue() {
			t.Fatalf("filter %s: name %q not passed to the store's query", filter, lf.name)
		}
	})
}

func TestConfigFilterMatches(t *testing.T) {
	md := (&configpb.Route{}).ProtoReflect().Descriptor()
	r := &configpb.Route{Name: proto.String("a"), From: "https://a.example.com", PolicyIds: []string{"p1", "p2"},
		Redirect: &configpb.RouteRedirect{HttpsRedirect: proto.Bool(true)}, AllowWebsockets: true,
		LoadBalancingPolicy: configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RING_HASH.Enum()}
	for filter, want := range map[string]bool{
		`{"policy_ids": "p2"}`:                                         true,
		`{"policy_ids": "p3"}`:                                         false,
		`{"redirect": {"https_redirect": true}}`:                       true,
		`{"redirect": {"https_redirect": false}}`:                      false,
		`{"allow_websockets": true}`:                                   true,
		`{"load_balancing_policy": "LOAD_BALANCING_POLICY_RING_HASH"}`: true,
		`{"$not": {"allow_websockets": true}}`:                         false,
		`{"$or": [{"from": "x"}, {"from": "https://a.example.com"}]}`:  true,
		`{"$and": [{"from": "x"}, {"from": "https://a.example.com"}]}`: false,
		`{"from": ["x", "https://a.example.com"]}`:                     true,
		`{"from": {"$eq": "https://a.example.com"}}`:                   true,
		`{"prefix": ""}`:                                               true,
	} {
		var s structpb.Struct
		if err := protojson.Unmarshal([]byte(filter), &s); err != nil {
			t.Fatal(err)
		}
		lf, err := parseListFilter(&s, md)
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		if got := lf.rest.match(r.ProtoReflect()); got != want {
			t.Errorf("%s matched %v, want %v", filter, got, want)
		}
	}
}

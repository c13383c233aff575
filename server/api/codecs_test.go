package api

import (
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// TestCodecsNameTheFieldOfInvalidUTF8: a request holding invalid UTF-8 is
// refused naming the field that holds it, in protobuf and in JSON, while
// valid requests decode as Connect's own codecs decode them.
func TestCodecsNameTheFieldOfInvalidUTF8(t *testing.T) {
	t.Parallel()
	// A route whose to[1] and a header's value are not UTF-8, built by
	// hand: protobuf would refuse to encode them.
	route := protowire.AppendTag(nil, 5, protowire.BytesType)
	route = protowire.AppendString(route, "ok")
	for _, to := range []string{"https://a", "https://\xff"} {
		route = protowire.AppendTag(route, 7, protowire.BytesType)
		route = protowire.AppendString(route, to)
	}
	header := protowire.AppendTag(nil, 1, protowire.BytesType)
	header = protowire.AppendString(header, "x")
	header = protowire.AppendTag(header, 2, protowire.BytesType)
	header = protowire.AppendString(header, "\xfe")
	headerRoute := protowire.AppendTag(nil, 23, protowire.BytesType)
	headerRoute = protowire.AppendBytes(headerRoute, header)
	wrap := func(msg []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), msg)
	}
	for _, tc := range []struct {
		name  string
		codec interface{ Unmarshal([]byte, any) error }
		data  []byte
		want  string
	}{
		{"proto list", protoCodec{}, wrap(route), "route.to: is not valid UTF-8"},
		{"proto map", protoCodec{}, wrap(headerRoute), "route.set_request_headers.value: is not valid UTF-8"},
		{"json", jsonCodec{}, []byte("{\"route\": {\"name\": \"ok\", \"to\": [\"https://a\", \"https://\xff\"]}}"), "route.to[1]: is not valid UTF-8"},
		{"json key", jsonCodec{}, []byte("{\"route\": {\"setRequestHeaders\": {\"\xff\": \"x\"}}}"), "route.setRequestHeaders (a key)"},
		{"json not UTF-8 alone", jsonCodec{}, []byte(`{"route": {"name": 1}}`), "unmarshal into"},
	} {
		err := tc.codec.Unmarshal(tc.data, &pb.SetRouteRequest{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	valid, err := proto.Marshal(&pb.SetRouteRequest{Route: &pb.Route{Name: "a", To: []string{"https://a"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got pb.SetRouteRequest
	if err := (protoCodec{}).Unmarshal(valid, &got); err != nil || got.Route.GetName() != "a" {
		t.Errorf("a valid request decoded as %v, %v", &got, err)
	}
	if err := (jsonCodec{}).Unmarshal([]byte(`{"route": {"name": "b", "unknown": 1}}`), &got); err != nil || got.Route.GetName() != "b" {
		t.Errorf("a valid JSON request with an unknown field decoded as %v, %v", &got, err)
	}
}

// FuzzCodecs feeds the API's codecs arbitrary request bytes: they never
// panic, accept exactly what Connect's own decoding accepts, and blame
// invalid UTF-8 only on a request that holds some.
func FuzzCodecs(f *testing.F) {
	for _, seed := range [][]byte{
		[]byte(`{"route": {"name": "a", "to": ["https://a"], "setRequestHeaders": {"x": "y"}}}`),
		[]byte("{\"route\": {\"name\": \"\xff\"}}"),
		[]byte(`[[[[{"a": [1, {"b": "c"}]}]]]]`),
		protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "\x2a\x03\xff\xfe\xfd"),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []struct {
			codec interface{ Unmarshal([]byte, any) error }
			plain func([]byte, proto.Message) error
		}{
			{protoCodec{}, proto.Unmarshal},
			{jsonCodec{}, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal},
		} {
			err := c.codec.Unmarshal(data, &pb.SetRouteRequest{})
			plainErr := c.plain(data, &pb.SetRouteRequest{})
			if (err == nil) != (plainErr == nil) && len(data) > 0 {
				t.Fatalf("decoded with %v, Connect's way with %v", err, plainErr)
			}
			if err != nil && strings.Contains(err.Error(), "is not valid UTF-8") && utf8.Valid(data) {
				t.Fatalf("%v, but the request is UTF-8", err)
			}
		}
	})
}

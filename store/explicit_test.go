package store

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// TestExplicitFieldIsFree: the numbers the encoding keeps explicit fields
// and sealed secrets under are no fields of the specs, whose messages
// Pomerium defines.
func TestExplicitFieldIsFree(t *testing.T) {
	t.Parallel()
	for _, m := range []proto.Message{&configpb.Route{}, &configpb.Settings{}} {
		md := m.ProtoReflect().Descriptor()
		for num, what := range map[protowire.Number]string{explicitField: "explicit fields", sealedField: "sealed secrets"} {
			if fd := md.Fields().ByNumber(num); fd != nil {
				t.Errorf("%s declares field %d (%s), which the store's encoding keeps %s under", md.FullName(), num, fd.Name(), what)
			}
		}
	}
}

// TestSpecEncoding: a route without explicit fields encodes as its spec
// alone, byte for byte, so that rows written before explicit fields were
// kept decode as they did; with them, the spec decodes unchanged (its own
// unknown fields kept) and the fields come back in order.
func TestSpecEncoding(t *testing.T) {
	t.Parallel()
	spec := &configpb.Route{From: "https://app.example.com", SetRequestHeaders: map[string]string{"b": "2", "a": "1"}}
	spec.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 999, protowire.VarintType), 7))
	plain, err := proto.MarshalOptions{Deterministic: true}.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncodeData(&Route{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, plain) {
		t.Errorf("a route without explicit fields encodes as %x, want its spec's %x", data, plain)
	}
	data, err = EncodeData(&Route{Spec: spec, Explicit: []string{"allow_websockets", "prefix"}})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := DecodeData(KindRoute, data)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*Route)
	if diff := cmp.Diff(spec, got.Spec, protocmp.Transform()); diff != "" {
		t.Errorf("spec decoded (-want +got):\n%s", diff)
	}
	if !slices.Equal(got.Explicit, []string{"allow_websockets", "prefix"}) {
		t.Errorf("explicit fields decoded: %q", got.Explicit)
	}
	if !bytes.Equal(got.Spec.ProtoReflect().GetUnknown(), spec.ProtoReflect().GetUnknown()) {
		t.Errorf("unknown fields of the spec decoded: %x, want %x", got.Spec.ProtoReflect().GetUnknown(), spec.ProtoReflect().GetUnknown())
	}
}

// TestRedactExplicit: an explicit field that names a secret goes with the
// secrets, so that a reader who may not see them cannot tell a secret set
// to "" from a hidden one.
func TestRedactExplicit(t *testing.T) {
	t.Parallel()
	r := &Route{
		Spec: &configpb.Route{From: "https://app.example.com", IdpClientSecret: proto.String("s")},
		Explicit: []string{
			"pomerium.dashboard.Route:allow_websockets", "pomerium.dashboard.Route:kubernetes_service_account_token",
			"mcp.server.upstream_oauth2.client_secret",
		},
	}
	hidden := Redact(r)
	want := []string{"idp_client_secret", "kubernetes_service_account_token", "mcp.server.upstream_oauth2.client_secret"}
	if !slices.Equal(hidden, want) {
		t.Errorf("redacted %q, want %q", hidden, want)
	}
	if !slices.Equal(r.Explicit, []string{"pomerium.dashboard.Route:allow_websockets"}) || r.Spec.IdpClientSecret != nil {
		t.Errorf("after redaction: explicit %q, spec %v", r.Explicit, r.Spec)
	}
}

// TestDecodeSpecFindsTheSpecsEncoding: the spec's own encoding is what
// comes before the explicit fields when they end the data, and is not
// found when they do not or when secrets are sealed.
func TestDecodeSpecFindsTheSpecsEncoding(t *testing.T) {
	t.Parallel()
	spec, err := proto.MarshalOptions{Deterministic: true}.Marshal(&configpb.Route{From: "https://a.example.com", To: []string{"https://a.internal"}})
	if err != nil {
		t.Fatal(err)
	}
	field := func(num protowire.Number, v string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), v)
	}
	websockets, prefix := field(explicitField, "allow_websockets"), field(explicitField, "prefix")
	explicit := slices.Concat(websockets, prefix)
	unknown := field(9000, "kept")
	for _, c := range []struct {
		name    string
		data    []byte
		specLen int
	}{
		{"spec alone", spec, len(spec)},
		{"explicit fields after the spec", slices.Concat(spec, explicit), len(spec)},
		{"an unknown field, then explicit fields", slices.Concat(spec, unknown, explicit), len(spec) + len(unknown)},
		{"explicit fields, then an unknown field", slices.Concat(spec, explicit, unknown), -1},
		{"an explicit field, an unknown field, an explicit field", slices.Concat(spec, websockets, unknown, prefix), -1},
		{"an explicit field between the spec's", slices.Concat(spec[:2+len("https://a.example.com")], explicit, spec[2+len("https://a.example.com"):]), -1},
		{"sealed secrets", slices.Concat(spec, field(sealedField, "sealed"), explicit), -1},
		{"explicit fields, sealed secrets last", slices.Concat(spec, explicit, field(sealedField, "sealed")), -1},
	} {
		var route configpb.Route
		_, _, specLen, err := decodeSpec(c.data, &route)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if specLen != c.specLen {
			t.Errorf("%s: spec's encoding of %d bytes, want %d", c.name, specLen, c.specLen)
		}
		if specLen < 0 {
			continue
		}
		var again configpb.Route
		if err := proto.Unmarshal(c.data[:specLen], &again); err != nil || !proto.Equal(&again, &route) {
			t.Errorf("%s: the spec's encoding decodes to %v (%v), want %v", c.name, &again, err, &route)
		}
	}
}

package compile

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
	"unique"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestRouteFieldNumbers checks the numbers emitRoute writes by against
// the fields of pomerium.config.Route they are said to be.
func TestRouteFieldNumbers(t *testing.T) {
	fields := (&configpb.Route{}).ProtoReflect().Descriptor().Fields()
	for num, name := range map[protowire.Number]protoreflect.Name{
		numName: "name", numTLSCustomCA: "tls_custom_ca", numTLSClientCert: "tls_client_cert",
		numTLSClientKey: "tls_client_key", numID: "id", numTLSDownstreamClientCA: "tls_downstream_client_ca",
		numNamespaceID: "namespace_id", numOriginatorID: "originator_id", numTLSCustomCAKeyPair: "tls_custom_ca_key_pair_id",
		numTLSClientKeyPair: "tls_client_key_pair_id", numTLSDownstreamKeyPair: "tls_downstream_client_ca_key_pair_id",
		numPolicyIDs: "policy_ids", numCreatedAt: "created_at", numModifiedAt: "modified_at",
		numEnforcedPolicies: "enforced_policies", numAssignedPolicies: "assigned_policies", numNamespaceName: "namespace_name",
	} {
		if fd := fields.ByNumber(num); fd == nil || fd.Name() != name {
			t.Errorf("field %d is %v, want %s", num, fd, name)
		}
	}
}

// TestRouteRecordWrittenFromTheEncoding compares the records emitRoute
// writes from a spec's encoding with those written by decoding the spec,
// setting the record's fields and encoding it, byte for byte, for specs of
// every field set at random (nested messages, maps, oneofs, fields the
// record replaces, unknown fields) and records of every combination of what
// the record adds.
func TestRouteRecordWrittenFromTheEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCompiler(nil)
	c.namespaces["n-named"] = &namespaceNode{ns: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "n-named", Name: "team"}}}
	c.namespaces["n-unnamed"] = &namespaceNode{ns: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "n-unnamed"}}}
	kp := &keyPairEntry{kp: &store.KeyPair{Certificate: []byte("certificate"), PrivateKey: []byte("key")}}
	empty := &keyPairEntry{kp: &store.KeyPair{}}
	keyPairs := []*keyPairEntry{nil, kp, empty}
	fast := 0
	for i := range 3000 {
		spec := &configpb.Route{}
		fill(rng, spec.ProtoReflect(), 0)
		meta := store.ObjectMeta{ID: fmt.Sprintf("c-%d", i), NamespaceID: []string{"n-named", "n-unnamed", "n-gone"}[i%3],
			Name: []string{"", "route", "ルート"}[rng.IntN(3)]}
		if rng.IntN(4) > 0 {
			meta.CreatedAt = time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(2)*rng.Int64N(1e9)).UTC()
			meta.ModifiedAt = time.Unix(rng.Int64N(2)*rng.Int64N(4e9), rng.Int64N(1e9)).UTC()
		}
		e := newRouteEntry(&store.Route{ObjectMeta: meta, Spec: spec}, true)
		if e.pinned {
			t.Fatalf("spec %d does not encode", i)
		}
		e.release()
		e.policies = unique.Make(joinIDs([][]string{nil, {"p1"}, {"p1", "", "p3"}}[rng.IntN(3)]))
		e.customCA, e.client, e.downstreamCA = keyPairs[rng.IntN(3)], keyPairs[rng.IntN(3)], keyPairs[rng.IntN(3)]

		got, err := c.emitRoute(e)
		if err != nil {
			t.Fatalf("route %d: %v", i, err)
		}
		want, err := c.emitRouteDecoded(e)
		if err != nil {
			t.Fatalf("route %d decoded: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			g, w := new(configpb.Route), new(configpb.Route)
			_ = proto.Unmarshal(got, g)
			_ = proto.Unmarshal(want, w)
			t.Fatalf("route %d: record written from the encoding differs (equal decoded: %v)\n got %x\nwant %x", i, proto.Equal(g, w), got, want)
		}
		if _, ok := appendRouteRecord(nil, e.spec, &routeRecordFields{}); ok {
			fast++
		}
	}
	if fast != 3000 {
		t.Errorf("%d of 3000 records written from the encoding, want all", fast)
	}
}

// TestRouteRecordOfAnEncodingOutOfOrder: an encoding the protobuf encoder
// does not write is left to the decoder, and the record is the same.
func TestRouteRecordOfAnEncodingOutOfOrder(t *testing.T) {
	tag := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	str := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(tag(b, num, protowire.BytesType), s)
	}
	from := str(nil, 2, "https://a.example.com")
	for name, spec := range map[string][]byte{
		"fields out of order":           append(str(nil, 3, "https://b.internal"), from...),
		"a field twice":                 append(str(nil, 2, "https://b.example.com"), from...),
		"a field of another wire type":  append(protowire.AppendVarint(tag(nil, 3, protowire.VarintType), 1), from...),
		"a known field after unknowns":  append(str(nil, 9999, "x"), from...),
		"a repeated field split by one": str(str(str(nil, 3, "https://a.internal"), 4, "x"), 3, "https://b.internal"),
		"a message cut short":           from[:len(from)-1],
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := appendRouteRecord(nil, spec, &routeRecordFields{}); ok {
				t.Fatal("written from the encoding")
			}
			var msg configpb.Route
			if proto.Unmarshal(spec, &msg) != nil {
				return // nothing to compare: no entry keeps such a spec
			}
			e := &routeEntry{meta: routeMeta{ID: "c-1", Name: "r", NamespaceID: "n"}, spec: spec, policies: unique.Make(joinIDs([]string{"p"}))}
			c := newCompiler(nil)
			got, err := c.emitRoute(e)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := c.emitRouteDecoded(e)
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}

// fill sets fields of m at random: about half of them, each of a random
// value, nested messages to a depth of three, and now and then an unknown
// field.
func fill(rng *rand.Rand, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if rng.IntN(2) == 0 || fd.Message() != nil && depth >= 3 {
			continue
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range 1 + rng.IntN(3) {
				v := mp.NewValue()
				if fd.MapValue().Message() != nil {
					fill(rng, v.Message(), depth+1)
				} else {
					v = randomValue(rng, fd.MapValue())
				}
				mp.Set(randomValue(rng, fd.MapKey()).MapKey(), v)
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range 1 + rng.IntN(3) {
				if fd.Message() != nil {
					el := l.NewElement()
					fill(rng, el.Message(), depth+1)
					l.Append(el)
				} else {
					l.Append(randomValue(rng, fd))
				}
			}
		case fd.Message() != nil:
			fill(rng, m.Mutable(fd).Message(), depth+1)
		default:
			m.Set(fd, randomValue(rng, fd))
		}
	}
	if rng.IntN(8) == 0 {
		u := protowire.AppendTag(m.GetUnknown(), 9000+protowire.Number(rng.IntN(100)), protowire.BytesType)
		m.SetUnknown(protowire.AppendString(u, "unknown"))
	}
}

// randomValue is a random value of a scalar field.
func randomValue(rng *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	pick := func(vs ...int64) int64 { return vs[rng.IntN(len(vs))] }
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(rng.IntN(2) == 0)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		return protoreflect.ValueOfEnum(values.Get(rng.IntN(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(pick(0, 1, -1, math.MaxInt32, math.MinInt32, rng.Int64N(1000))))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(pick(0, 1, -1, math.MaxInt64, math.MinInt64, rng.Int64()))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(pick(0, 1, math.MaxUint32, rng.Int64N(1000))))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(pick(0, 1, rng.Int64())))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(rng.NormFloat64()))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{0, math.Copysign(0, -1), rng.NormFloat64(), math.Inf(1)}[rng.IntN(4)])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString([]string{"", "a", "https://x.example.com/path", "ünïcode", fmt.Sprint(rng.Int())}[rng.IntN(5)])
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{byte(rng.IntN(256)), 0, 0xff}[:rng.IntN(4)])
	}
	panic(fmt.Sprintf("no random value of %v", fd.Kind()))
}

// TestRouteEntryTakesTheStoresEncoding: a route read with its spec's
// encoding is kept in it, not encoded again.
func TestRouteEntryTakesTheStoresEncoding(t *testing.T) {
	spec := &configpb.Route{From: "https://a.example.com", To: []string{"https://a.internal"}}
	encoded, err := proto.MarshalOptions{Deterministic: true}.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	e := newRouteEntry(&store.Route{ObjectMeta: store.ObjectMeta{ID: "c-1"}, Spec: spec, SpecEncoding: encoded}, true)
	if len(e.spec) != len(encoded) || &e.spec[0] != &encoded[0] {
		t.Errorf("entry keeps %x, want the store's encoding itself", e.spec)
	}
}

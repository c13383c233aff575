package compile

import (
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// The numbers of the fields of pomerium.config.Route that emitRoute sets or
// clears.
const (
	numName                  protowire.Number = 1
	numTLSCustomCA           protowire.Number = 16
	numTLSClientCert         protowire.Number = 18
	numTLSClientKey          protowire.Number = 19
	numID                    protowire.Number = 28
	numTLSDownstreamClientCA protowire.Number = 38
	numNamespaceID           protowire.Number = 80
	numOriginatorID          protowire.Number = 81
	numTLSCustomCAKeyPair    protowire.Number = 82
	numTLSClientKeyPair      protowire.Number = 83
	numTLSDownstreamKeyPair  protowire.Number = 84
	numPolicyIDs             protowire.Number = 86
	numCreatedAt             protowire.Number = 87
	numModifiedAt            protowire.Number = 88
	numEnforcedPolicies      protowire.Number = 90
	numAssignedPolicies      protowire.Number = 91
	numNamespaceName         protowire.Number = 92
)

// routeFields describes the fields pomerium.config.Route declares, by
// number: how the protobuf encoder writes each (a repeated field's
// elements one after another, packed ones in one field), and which are
// repeated. Fields it does not declare are unknown: an encoder writes them
// after all the others.
var routeFields = func() []routeField {
	fields := (&configpb.Route{}).ProtoReflect().Descriptor().Fields()
	var maxNum protoreflect.FieldNumber
	for i := range fields.Len() {
		maxNum = max(maxNum, fields.Get(i).Number())
	}
	out := make([]routeField, maxNum+1)
	for i := range fields.Len() {
		fd := fields.Get(i)
		out[fd.Number()] = routeField{known: true, repeated: fd.Cardinality() == protoreflect.Repeated, wire: wireType(fd)}
	}
	return out
}()

type routeField struct {
	known, repeated bool
	wire            protowire.Type
}

func routeFieldOf(num protowire.Number) routeField {
	if int(num) < len(routeFields) {
		return routeFields[num]
	}
	return routeField{}
}

// wireType is the wire type the protobuf encoder writes a field in.
func wireType(fd protoreflect.FieldDescriptor) protowire.Type {
	if fd.IsPacked() {
		return protowire.BytesType
	}
	switch fd.Kind() {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Int64Kind,
		protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.BytesType // strings, bytes, messages, maps
}

// routeRecordFields are what emitRoute writes into a route's record, each
// field set in the spec replaced.
type routeRecordFields struct {
	name, id, namespaceID string
	namespaceName         *string
	// policies are the policy_ids joined (joinIDs).
	policies          string
	created, modified time.Time
	// The key pairs' base64 values, for those the route references.
	customCA, clientCert, clientKey, downstreamCA *string
}

// replaces reports whether the record writes its own value of a field of
// the spec, or leaves it out.
func (f *routeRecordFields) replaces(num protowire.Number) bool {
	switch num {
	case numName, numID, numNamespaceID, numOriginatorID, numPolicyIDs, numCreatedAt,
		numModifiedAt, numEnforcedPolicies, numAssignedPolicies, numNamespaceName:
		return true
	case numTLSCustomCA, numTLSCustomCAKeyPair:
		return f.customCA != nil
	case numTLSClientCert, numTLSClientKey, numTLSClientKeyPair:
		return f.clientCert != nil
	case numTLSDownstreamClientCA, numTLSDownstreamKeyPair:
		return f.downstreamCA != nil
	}
	return false
}

// written lists the fields the record writes, by number: a record's fields
// are written in that order.
var written = []protowire.Number{numName, numTLSCustomCA, numTLSClientCert, numTLSClientKey, numID,
	numTLSDownstreamClientCA, numNamespaceID, numOriginatorID, numPolicyIDs, numCreatedAt,
	numModifiedAt, numNamespaceName}

// encodes reports whether every string the record writes is UTF-8, as
// protobuf requires of a string field.
func (f *routeRecordFields) encodes() bool {
	return utf8.ValidString(f.name) && utf8.ValidString(f.id) && utf8.ValidString(f.namespaceID) &&
		(f.namespaceName == nil || utf8.ValidString(*f.namespaceName)) && utf8.ValidString(f.policies)
}

// size is at least the size of the fields the record writes.
func (f *routeRecordFields) size() int {
	const field = 5                                                                        // a tag and a length of up to 2 MB
	n := 4*field + len(f.name) + len(f.id) + len(f.namespaceID) + len(OriginatorID) + 2*22 // two timestamps
	n += len(f.policies) + strings.Count(f.policies, "\x00")*field
	for _, s := range []*string{f.namespaceName, f.customCA, f.clientCert, f.clientKey, f.downstreamCA} {
		if s != nil {
			n += field + len(*s)
		}
	}
	return n
}

// appendField appends the record's value of field num, if it has one.
func (f *routeRecordFields) appendField(b []byte, num protowire.Number) []byte {
	str := func(b []byte, s string) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	implicit := func(b []byte, s *string) []byte { // a proto3 string without presence
		if s == nil || *s == "" {
			return b
		}
		return str(b, *s)
	}
	switch num {
	case numName:
		return str(b, f.name)
	case numID:
		return str(b, f.id)
	case numNamespaceID:
		return str(b, f.namespaceID)
	case numOriginatorID:
		return str(b, OriginatorID)
	case numNamespaceName:
		if f.namespaceName != nil {
			b = str(b, *f.namespaceName)
		}
		return b
	case numPolicyIDs:
		for rest := f.policies; rest != ""; {
			rest = rest[1:] // the NUL before each id
			id := rest
			if i := strings.IndexByte(rest, 0); i >= 0 {
				id, rest = rest[:i], rest[i:]
			} else {
				rest = ""
			}
			b = str(b, id)
		}
		return b
	case numCreatedAt:
		return appendTimestamp(b, num, f.created)
	case numModifiedAt:
		return appendTimestamp(b, num, f.modified)
	case numTLSCustomCA:
		return implicit(b, f.customCA)
	case numTLSClientCert:
		return implicit(b, f.clientCert)
	case numTLSClientKey:
		return implicit(b, f.clientKey)
	case numTLSDownstreamClientCA:
		return implicit(b, f.downstreamCA)
	}
	return b
}

// appendTimestamp appends a google.protobuf.Timestamp field as the protobuf
// encoder writes it (its zero fields left out); the zero time is left unset
// (see timestamp).
func appendTimestamp(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	var inner [24]byte // a varint of at most 10 bytes, each after a tag of one
	ts := inner[:0]
	if secs := t.Unix(); secs != 0 {
		ts = protowire.AppendVarint(protowire.AppendTag(ts, 1, protowire.VarintType), uint64(secs))
	}
	if nanos := t.Nanosecond(); nanos != 0 {
		ts = protowire.AppendVarint(protowire.AppendTag(ts, 2, protowire.VarintType), uint64(nanos))
	}
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), ts)
}

// appendRouteRecord writes a route's record from the encoding of its spec
// without decoding it: the spec's fields as they are encoded, but those the
// record replaces, with the record's own among them in the order of their
// numbers. It writes what decoding the spec, setting the record's fields
// and encoding it deterministically writes, byte for byte, when spec is
// written as the protobuf encoder writes a message deterministically: its
// known fields in the order of their numbers, unknown fields after them.
// For anything else (a field out of that order, a malformed encoding) it
// reports false, and the record is to be encoded the long way.
func appendRouteRecord(b, spec []byte, f *routeRecordFields) ([]byte, bool) {
	next := 0 // of written
	flush := func(b []byte, before protowire.Number) []byte {
		for ; next < len(written) && written[next] < before; next++ {
			b = f.appendField(b, written[next])
		}
		return b
	}
	last := protowire.Number(0)
	for rest := spec; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return b, false
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return b, false
		}
		field := rest[:n+m]
		rest = rest[n+m:]
		rf := routeFieldOf(num)
		if !rf.known {
			// Unknown fields come after every known one.
			b = flush(b, protowire.MaxValidNumber+1)
			last = protowire.MaxValidNumber + 1
			b = append(b, field...)
			continue
		}
		// A repeated field's elements follow one another; a field written
		// twice otherwise, out of order or in a wire type of its own, is
		// left to the decoder.
		if num < last || num == last && !rf.repeated || typ != rf.wire {
			return b, false
		}
		last = num
		b = flush(b, num)
		if !f.replaces(num) {
			b = append(b, field...)
		}
	}
	return flush(b, protowire.MaxValidNumber+1), true
}

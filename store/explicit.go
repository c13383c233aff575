package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Presence: an API may declare a field optional (explicit presence) where
// the object the store keeps cannot tell its zero value from unset. The
// dashboard API's Route has allow_websockets and prefix optional; in
// pomerium.config.Route, the spec, they are a plain bool and string. A
// client that sends allow_websockets: false must read it back set, one
// that leaves it out must read it unset, so the object keeps beside its
// spec which of those fields its writer set explicitly to their zero
// value: Explicit, each named by the writer's message and the path in it
// ("pomerium.dashboard.Route:session_recording.enabled"), so that a reader
// of another message, whose field of that name may mean something else,
// passes it over. Policies and key pairs keep them for
// pomerium.config.Policy and KeyPair, whose optional fields (description,
// enforced, key) are plain Go fields here. Only the APIs' converters read
// them; compilation never does, so the records written to the databroker
// are those of the spec alone.
//
// Explicit is kept out of the spec on purpose: the spec is also what the
// ConfigService answers with, and its clients decode pomerium.config
// messages with protojson, which refuses a field it does not know.

// MaxExplicit bounds the number of explicit fields of an object.
const MaxExplicit = 256

// explicitField is the field number under which the binary encoding of a
// route or settings object keeps its explicit fields, after the spec's own
// fields. pomerium.config messages never use numbers from 1000: our
// extensions take them, and TestExplicitFieldIsFree holds the spec
// messages to leaving this one free.
const explicitField protowire.Number = 1000

// ExplicitOf is where an object keeps its explicit fields; nil for a kind
// that keeps none.
func ExplicitOf(obj Object) *[]string {
	switch o := obj.(type) {
	case *Namespace:
		return &o.Explicit
	case *Policy:
		return &o.Explicit
	case *Route:
		return &o.Explicit
	case *Settings:
		return &o.Explicit
	case *KeyPair:
		return &o.Explicit
	case *ServiceAccount:
		return &o.Explicit
	}
	return nil
}

// normalizeExplicit sorts the explicit fields of an object and drops
// repeats, or names the first that is not a field path, with or without
// the message it is a path of.
func normalizeExplicit(k Kind, id string, paths *[]string) error {
	if len(*paths) > MaxExplicit {
		return invalid(k, id, "explicit", "names %d fields, at most %d allowed", len(*paths), MaxExplicit)
	}
	for _, p := range *paths {
		message, path, qualified := strings.Cut(p, ":")
		if !qualified {
			message, path = "", p
		}
		if path == "" || len(p) > MaxNameLength || qualified && !isName(message, true) || !isName(path, false) {
			return invalid(k, id, "explicit", "%q is not a field path such as pomerium.dashboard.Route:session_recording.enabled", p)
		}
	}
	if *paths != nil {
		slices.Sort(*paths)
		*paths = slices.Compact(*paths)
	}
	return nil
}

// encodeSpec encodes a spec and, after it, its explicit fields.
func encodeSpec(spec proto.Message, explicit []string) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(spec)
	if err != nil {
		return nil, err
	}
	for _, p := range explicit {
		b = protowire.AppendTag(b, explicitField, protowire.BytesType)
		b = protowire.AppendString(b, p)
	}
	return b, nil
}

// decodeSpec decodes what encodeSpec wrote into spec and returns the
// explicit fields and the sealed secrets (sealSpec), which it takes out of
// the spec's unknown fields. specLen is the length of the spec's own
// encoding in data, which encodeSpec wrote before the explicit fields:
// len(data) when there are none, and -1 when data is not in that form
// (secrets sealed, or explicit fields anywhere but after everything else).
func decodeSpec(data []byte, spec proto.Message) (explicit []string, sealed []byte, specLen int, err error) {
	if err := proto.Unmarshal(data, spec); err != nil {
		return nil, nil, -1, err
	}
	m := spec.ProtoReflect()
	unknown := m.GetUnknown()
	if len(unknown) == 0 {
		return nil, nil, len(data), nil
	}
	var rest []byte
	tail := -1  // where in unknown the explicit fields that end it begin
	inTail := 0 // how many explicit fields that run holds
	for b := unknown; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, -1, fmt.Errorf("unknown fields: %w", protowire.ParseError(n))
		}
		size := protowire.ConsumeFieldValue(num, typ, b[n:])
		if size < 0 {
			return nil, nil, -1, fmt.Errorf("unknown field %d: %w", num, protowire.ParseError(size))
		}
		at := len(unknown) - len(b)
		field := b[:n+size]
		b = b[n+size:]
		explicitOne := typ == protowire.BytesType && num == explicitField
		switch {
		case explicitOne && tail < 0:
			tail, inTail = at, 1
		case explicitOne:
			inTail++
		default:
			tail = -1
		}
		switch {
		case typ != protowire.BytesType:
			rest = append(rest, field...)
		case num == explicitField:
			v, _ := protowire.ConsumeString(field[n:])
			explicit = append(explicit, v)
		case num == sealedField:
			sealed, _ = protowire.ConsumeBytes(field[n:])
		default:
			rest = append(rest, field...)
		}
	}
	m.SetUnknown(rest)
	specLen = len(data)
	switch {
	case sealed != nil || len(explicit) > 0 && (tail < 0 || inTail != len(explicit)):
		specLen = -1
	case tail >= 0:
		specLen -= len(unknown) - tail
		if !bytes.Equal(data[specLen:], unknown[tail:]) {
			specLen = -1
		}
	}
	return explicit, sealed, specLen, nil
}

// fieldOf is the path of an explicit field without its message.
func fieldOf(explicit string) string {
	if _, path, qualified := strings.Cut(explicit, ":"); qualified {
		return path
	}
	return explicit
}

// isName reports whether s is a dotted protobuf name: of fields (lower
// case) or of a message (any case).
func isName(s string, message bool) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r != '.' && r != '_' && (r < 'a' || r > 'z') && (r < '0' || r > '9') && (!message || r < 'A' || r > 'Z')
	})
}

// secretPath reports whether an explicit field names a secret field of
// md: the writers' messages name the fields they share with the spec as
// the spec does.
func secretPath(md protoreflect.MessageDescriptor, explicit string) bool {
	names := strings.Split(fieldOf(explicit), ".")
	for i, name := range names {
		fd := md.Fields().ByName(protoreflect.Name(name))
		switch {
		case fd == nil:
			return false
		case IsSecret(fd):
			return true
		case i < len(names)-1 && fd.Message() == nil:
			return false
		}
		md = fd.Message()
	}
	return false
}

// withoutSecretPaths splits the explicit fields of a spec of type md into
// those that name no secret and those that do.
func withoutSecretPaths(md protoreflect.MessageDescriptor, explicit []string) (kept, secret []string) {
	for _, p := range explicit {
		if secretPath(md, p) {
			secret = append(secret, p)
		} else {
			kept = append(kept, p)
		}
	}
	return kept, secret
}

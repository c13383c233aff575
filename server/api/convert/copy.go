package convert

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// copier copies the fields two messages share by name, recursively: scalars
// of the same kind, enums whose values agree in name and number, messages of
// one type (the well-known types), messages of different types field by
// field, lists and maps of those, and a scalar to or from the wrapper type
// that holds it (uint32 and google.protobuf.UInt32Value).
//
// Fields are named by their path from the root message, without indexes:
// "health_checks.http_health_check.host".
type copier struct {
	// root names the source message in errors: "route".
	root string
	// skip holds the fields the caller converts by hand or does not take.
	skip map[string]bool
	// refuse holds the fields input may not set, with the reason.
	refuse map[string]string
	// strict makes input that would be lost an error: a set field with no
	// counterpart, an enum value the source enum does not define. Without it
	// such fields are left out, as output to the API may leave them.
	strict bool
}

// unconverted is a field of an API message that conversion does not take
// from input.
type unconverted struct {
	reason string
	// refuse makes a value in the field an error, with the reason, where it
	// would otherwise be ignored.
	refuse bool
}

// inputCopier copies an API message into its store counterpart, skipping the
// fields converted by hand and those the table does not take.
func inputCopier(root string, byHand []string, table map[string]unconverted) *copier {
	c := &copier{root: root, skip: make(map[string]bool), refuse: make(map[string]string), strict: true}
	for _, path := range byHand {
		c.skip[path] = true
	}
	for path, u := range table {
		if u.refuse {
			c.refuse[path] = "is not supported: " + u.reason
		} else {
			c.skip[path] = true
		}
	}
	return c
}

// outputCopier copies a store message into its API counterpart, skipping the
// fields converted by hand and dropping those the API has no place for.
func outputCopier(byHand []string) *copier {
	c := &copier{skip: make(map[string]bool)}
	for _, path := range byHand {
		c.skip[path] = true
	}
	return c
}

// copy copies src into dst. It fails only when strict.
func (c *copier) copy(dst, src proto.Message) error {
	return c.message(dst.ProtoReflect(), src.ProtoReflect(), "", c.root)
}

// mustCopy is copy for an output copier, which has no way to fail.
func (c *copier) mustCopy(dst, src proto.Message) {
	if err := c.copy(dst, src); err != nil {
		panic(fmt.Sprintf("convert: lenient copy of %s failed: %v", src.ProtoReflect().Descriptor().FullName(), err))
	}
}

func (c *copier) message(dst, src protoreflect.Message, key, at string) error {
	fields := src.Descriptor().Fields()
	for i := range fields.Len() {
		sf := fields.Get(i)
		if !src.Has(sf) {
			continue
		}
		k, a := joinPath(key, string(sf.Name())), at+"."+string(sf.Name())
		if c.skip[k] {
			continue
		}
		if reason, ok := c.refuse[k]; ok {
			return fieldErrorf(a, "%s", reason)
		}
		df := dst.Descriptor().Fields().ByName(sf.Name())
		if df == nil || !compatible(sf, df) {
			if c.strict {
				return fieldErrorf(a, "has no counterpart in Pomerium's records")
			}
			continue
		}
		if err := c.field(dst, df, sf, src.Get(sf), k, a); err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) field(dst protoreflect.Message, df, sf protoreflect.FieldDescriptor, v protoreflect.Value, key, at string) error {
	switch {
	case sf.IsMap():
		in, out := v.Map(), dst.Mutable(df).Map()
		for _, mk := range sortedMapKeys(in) {
			ev, err := c.element(df.MapValue(), sf.MapValue(), in.Get(mk), out.NewValue, key, fmt.Sprintf("%s[%q]", at, mk.String()))
			if err != nil {
				return err
			}
			out.Set(mk, ev)
		}
	case sf.IsList():
		in, out := v.List(), dst.Mutable(df).List()
		for i := range in.Len() {
			ev, err := c.element(df, sf, in.Get(i), out.NewElement, key, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return err
			}
			out.Append(ev)
		}
	default:
		ev, err := c.element(df, sf, v, func() protoreflect.Value { return dst.NewField(df) }, key, at)
		if err != nil {
			return err
		}
		dst.Set(df, ev)
	}
	return nil
}

// element converts one value; fresh makes an empty value of df's message
// type.
func (c *copier) element(df, sf protoreflect.FieldDescriptor, v protoreflect.Value, fresh func() protoreflect.Value, key, at string) (protoreflect.Value, error) {
	sm, dm := sf.Message(), df.Message()
	switch {
	case sm != nil && dm != nil && sm.FullName() == dm.FullName():
		return protoreflect.ValueOfMessage(proto.Clone(v.Message().Interface()).ProtoReflect()), nil
	case sm != nil && dm != nil:
		out := fresh()
		return out, c.message(out.Message(), v.Message(), key, at)
	case sm != nil:
		return v.Message().Get(sm.Fields().ByName("value")), nil
	case dm != nil:
		out := fresh()
		out.Message().Set(dm.Fields().ByName("value"), v)
		return out, nil
	case sf.Kind() == protoreflect.EnumKind && c.strict && sf.Enum().Values().ByNumber(v.Enum()) == nil:
		return protoreflect.Value{}, fieldErrorf(at, "value %d is not a known %s", v.Enum(), sf.Enum().Name())
	case sf.Kind() == protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(bytes.Clone(v.Bytes())), nil
	}
	return v, nil
}

// compatible reports whether a value of sf can be copied into df.
func compatible(sf, df protoreflect.FieldDescriptor) bool {
	switch {
	case sf.IsMap() || df.IsMap():
		return sf.IsMap() && df.IsMap() && sf.MapKey().Kind() == df.MapKey().Kind() &&
			compatibleElement(sf.MapValue(), df.MapValue(), false)
	case sf.IsList() || df.IsList():
		return sf.IsList() && df.IsList() && compatibleElement(sf, df, false)
	}
	return compatibleElement(sf, df, true)
}

func compatibleElement(sf, df protoreflect.FieldDescriptor, singular bool) bool {
	sm, dm := sf.Message(), df.Message()
	switch {
	case sm != nil && dm != nil:
		return sm.FullName() == dm.FullName() || !wellKnown(sm) && !wellKnown(dm)
	case sm != nil:
		return singular && wraps(sm, df)
	case dm != nil:
		return singular && wraps(dm, sf)
	case sf.Kind() == protoreflect.EnumKind || df.Kind() == protoreflect.EnumKind:
		return sf.Kind() == df.Kind() && sameEnum(sf.Enum(), df.Enum())
	}
	return sf.Kind() == df.Kind()
}

func wellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}

// wraps reports whether md is the wrapper type of scalar's kind, such as
// google.protobuf.UInt32Value for uint32.
func wraps(md protoreflect.MessageDescriptor, scalar protoreflect.FieldDescriptor) bool {
	v := md.Fields().ByName("value")
	return wellKnown(md) && md.Fields().Len() == 1 && v != nil && !v.IsList() &&
		v.Message() == nil && v.Kind() == scalar.Kind()
}

// sameEnum reports whether two enums have the same values under the same
// names, so that a value can be copied by number.
func sameEnum(a, b protoreflect.EnumDescriptor) bool {
	av, bv := a.Values(), b.Values()
	if av.Len() != bv.Len() {
		return false
	}
	for i := range av.Len() {
		if av.Get(i).Name() != bv.Get(i).Name() || av.Get(i).Number() != bv.Get(i).Number() {
			return false
		}
	}
	return true
}

func joinPath(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// sortedMapKeys orders a map's keys so that the first error found in a map
// is always the same one.
func sortedMapKeys(m protoreflect.Map) []protoreflect.MapKey {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

package wirespec

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// wellKnownSamples stand in for the recursive google.protobuf.Struct family,
// which generic population could only fill by cutting the recursion
// somewhere arbitrary.
var wellKnownSamples = map[protoreflect.FullName]func() (proto.Message, error){
	"google.protobuf.Struct": func() (proto.Message, error) {
		return structpb.NewStruct(map[string]any{"n": 1.5, "s": "x", "l": []any{true, nil}, "o": map[string]any{"k": "v"}})
	},
	"google.protobuf.ListValue": func() (proto.Message, error) {
		return structpb.NewList([]any{"a", 2.5, false, nil, map[string]any{"k": []any{"v"}}})
	},
	"google.protobuf.Value": func() (proto.Message, error) {
		return structpb.NewValue(map[string]any{"k": []any{"v", 3.0}})
	},
}

// populator sets every field of a message tree to a non-default value, so
// that no field can go missing from the wire check by being left at its
// zero value (and so not encoded at all).
//
// Values are distinct per field (seq), so two fields that traded numbers
// would decode into each other's values and fail the comparison. Members
// of a real oneof exclude each other: each time a oneof is filled, the next
// of its members in turn is set, so that populating again and again reaches
// every member, those of oneofs nested inside other oneofs included.
type populator struct {
	seq  int
	turn map[protoreflect.FullName]int
	set  map[protoreflect.FullName]bool
}

func newPopulator() *populator {
	return &populator{
		turn: make(map[protoreflect.FullName]int),
		set:  make(map[protoreflect.FullName]bool),
	}
}

// setAll tells whether every field of mds has been set at least once.
func (p *populator) setAll(mds []protoreflect.MessageDescriptor) bool {
	for _, md := range mds {
		fields := md.Fields()
		for i := range fields.Len() {
			if !p.set[fields.Get(i).FullName()] {
				return false
			}
		}
	}
	return true
}

func (p *populator) message(m protoreflect.Message, stack []protoreflect.FullName) error {
	md := m.Descriptor()
	if sample, ok := wellKnownSamples[md.FullName()]; ok {
		v, err := sample()
		if err != nil {
			return fmt.Errorf("sample %s: %w", md.FullName(), err)
		}
		proto.Merge(m.Interface(), v)
		return nil
	}
	if slices.Contains(stack, md.FullName()) {
		// A recursive type is left present but empty one level down.
		return nil
	}
	stack = append(stack, md.FullName())

	chosen := make(map[protoreflect.FieldDescriptor]bool)
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		if !od.IsSynthetic() {
			chosen[od.Fields().Get(p.turn[od.FullName()]%od.Fields().Len())] = true
			p.turn[od.FullName()]++
		}
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && !chosen[fd] {
			continue
		}
		p.set[fd.FullName()] = true
		if err := p.field(m, fd, stack); err != nil {
			return fmt.Errorf("%s: %w", fd.Name(), err)
		}
	}
	return nil
}

func (p *populator) field(m protoreflect.Message, fd protoreflect.FieldDescriptor, stack []protoreflect.FullName) error {
	switch {
	case fd.IsMap():
		mv := m.Mutable(fd).Map()
		for i := range 2 {
			key := p.scalar(fd.MapKey())
			if fd.MapKey().Kind() == protoreflect.BoolKind {
				key = protoreflect.ValueOfBool(i == 0)
			}
			value, err := p.element(fd.MapValue(), mv.NewValue, stack)
			if err != nil {
				return err
			}
			mv.Set(key.MapKey(), value)
		}
	case fd.IsList():
		lv := m.Mutable(fd).List()
		for range 2 {
			value, err := p.element(fd, lv.NewElement, stack)
			if err != nil {
				return err
			}
			lv.Append(value)
		}
	default:
		value, err := p.element(fd, func() protoreflect.Value { return m.NewField(fd) }, stack)
		if err != nil {
			return err
		}
		m.Set(fd, value)
	}
	return nil
}

// element produces one value of fd's type; fresh supplies an empty message
// of the right concrete type when fd holds messages.
func (p *populator) element(fd protoreflect.FieldDescriptor, fresh func() protoreflect.Value, stack []protoreflect.FullName) (protoreflect.Value, error) {
	if fd.Message() == nil {
		return p.scalar(fd), nil
	}
	v := fresh()
	if err := p.message(v.Message(), stack); err != nil {
		return protoreflect.Value{}, err
	}
	return v, nil
}

func (p *populator) scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	p.seq++
	n := p.seq
	text := fmt.Sprintf("%s-%d", fd.Name(), n)
	// Signed kinds get negative values so that a varint/zigzag mix-up
	// (int32 against sint32) changes the decoded value.
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if values.Len() == 1 {
			return protoreflect.ValueOfEnum(values.Get(0).Number())
		}
		return protoreflect.ValueOfEnum(values.Get(1 + n%(values.Len()-1)).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(-int32(n))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-(1<<40 + int64(n)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(1000 + n))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1<<40 + uint64(n))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(n) + 0.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(float64(n) + 0.25)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(text)
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(text))
	default:
		panic(fmt.Sprintf("no scalar value for kind %v of %s", fd.Kind(), fd.FullName()))
	}
}

// reachable lists the messages a populated md can contain, md included,
// leaving out those filled from wellKnownSamples.
func reachable(md protoreflect.MessageDescriptor) []protoreflect.MessageDescriptor {
	var out []protoreflect.MessageDescriptor
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if wellKnownSamples[md.FullName()] != nil || slices.ContainsFunc(out, func(o protoreflect.MessageDescriptor) bool {
			return o.FullName() == md.FullName()
		}) {
			return
		}
		out = append(out, md)
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.IsMap() {
				fd = fd.MapValue()
			}
			if fd.Message() != nil {
				walk(fd.Message())
			}
		}
	}
	walk(md)
	return out
}

package convert

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// populator sets every field of a message tree to a distinct non-zero value
// that conversion can carry: valid timestamps and durations, enum values
// other than the zero one. Members of a oneof take turns at each path, so
// populating again and again reaches each of them everywhere.
type populator struct {
	seq  int
	turn map[string]int
}

func newPopulator() *populator {
	return &populator{turn: make(map[string]int)}
}

// samples stand in for the well-known types, whose values are constrained
// (timestamps) or recursive (the struct family).
var samples = map[protoreflect.FullName]func(n int) proto.Message{
	"google.protobuf.Timestamp": func(n int) proto.Message {
		return &timestamppb.Timestamp{Seconds: 1_700_000_000 + int64(n), Nanos: int32(n)}
	},
	"google.protobuf.Duration": func(n int) proto.Message {
		return &durationpb.Duration{Seconds: int64(n), Nanos: int32(n)}
	},
	"google.protobuf.Struct": func(n int) proto.Message {
		return must(structpb.NewStruct(map[string]any{"s": fmt.Sprint("v-", n), "l": []any{true, 1.5}}))
	},
	"google.protobuf.ListValue": func(n int) proto.Message {
		return must(structpb.NewList([]any{fmt.Sprint("v-", n), 2.5, nil}))
	},
	"google.protobuf.Value": func(n int) proto.Message {
		return must(structpb.NewValue(fmt.Sprint("v-", n)))
	},
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (p *populator) fill(m proto.Message) {
	p.message(m.ProtoReflect(), "", nil)
}

func (p *populator) message(m protoreflect.Message, path string, stack []protoreflect.FullName) {
	md := m.Descriptor()
	if sample, ok := samples[md.FullName()]; ok {
		p.seq++
		proto.Merge(m.Interface(), sample(p.seq))
		return
	}
	if slices.Contains(stack, md.FullName()) {
		return // a recursive type stays empty one level down
	}
	stack = append(stack, md.FullName())
	chosen := make(map[protoreflect.Name]bool)
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		if !od.IsSynthetic() {
			key := path + "/" + string(od.Name())
			chosen[od.Fields().Get(p.turn[key]%od.Fields().Len()).Name()] = true
			p.turn[key]++
		}
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && !chosen[fd.Name()] {
			continue
		}
		p.field(m, fd, joinPath(path, string(fd.Name())), stack)
	}
}

func (p *populator) field(m protoreflect.Message, fd protoreflect.FieldDescriptor, path string, stack []protoreflect.FullName) {
	switch {
	case fd.IsMap():
		mv := m.Mutable(fd).Map()
		for i := range 2 {
			key := p.scalar(fd.MapKey())
			if fd.MapKey().Kind() == protoreflect.BoolKind {
				key = protoreflect.ValueOfBool(i == 0)
			}
			mv.Set(key.MapKey(), p.element(fd.MapValue(), mv.NewValue, path, stack))
		}
	case fd.IsList():
		lv := m.Mutable(fd).List()
		for range 2 {
			lv.Append(p.element(fd, lv.NewElement, path, stack))
		}
	default:
		m.Set(fd, p.element(fd, func() protoreflect.Value { return m.NewField(fd) }, path, stack))
	}
}

func (p *populator) element(fd protoreflect.FieldDescriptor, fresh func() protoreflect.Value, path string, stack []protoreflect.FullName) protoreflect.Value {
	if fd.Message() == nil {
		return p.scalar(fd)
	}
	v := fresh()
	p.message(v.Message(), path, stack)
	return v
}

func (p *populator) scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	p.seq++
	n := p.seq
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
		return protoreflect.ValueOfInt32(int32(n))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(1<<40 + int64(n))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(n))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1<<40 + uint64(n))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(n) + 0.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(float64(n) + 0.25)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprintf("%s-%d", fd.Name(), n))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(fmt.Appendf(nil, "%s-%d", fd.Name(), n))
	}
	panic(fmt.Sprintf("no value for kind %v of %s", fd.Kind(), fd.FullName()))
}

package configpb_test

import (
	"path"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// Pomerium decodes our databroker records with its own descriptors, so a
// wrong name, number, type or presence in config.proto corrupts records
// silently instead of failing anywhere. These tests hold the generated code
// to the wire facts in specPath.

func TestDescriptorsMatchSpec(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	messages, enums := declarations(configpb.File_pomerium_config_config_proto)

	for _, want := range spec.messages {
		md, ok := messages[want.name]
		if !ok {
			t.Errorf("message %s (line %d) is missing", want.name, want.line)
			continue
		}
		delete(messages, want.name)
		if got := path.Base(md.ParentFile().Path()); got != want.file {
			t.Errorf("message %s is declared in %s, spec says %s", want.name, got, want.file)
		}
		compareMessage(t, want, md)
	}
	for _, name := range sortedKeys(messages) {
		t.Errorf("message %s is not in the spec", name)
	}

	referenced := referencedEnums(spec)
	for _, want := range spec.enums {
		ed, ok := enums[want.name]
		if !ok {
			t.Errorf("enum %s (line %d) is missing", want.name, want.line)
			continue
		}
		delete(enums, want.name)
		compareEnum(t, want, ed)
	}
	for _, name := range sortedKeys(enums) {
		if referenced[name] {
			// The table uses the enum as a field type without listing its
			// values; only its name is a fact to check, and the field
			// comparison has done that.
			t.Logf("enum %s: values not in the spec, left unchecked", name)
			continue
		}
		t.Errorf("enum %s is not in the spec", name)
	}
}

func TestWireRoundTripThroughSpecDescriptor(t *testing.T) {
	t.Parallel()
	specFile, err := loadSpec(t).fileDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	specMessages, _ := declarations(specFile)
	ours, _ := declarations(configpb.File_pomerium_config_config_proto)

	for _, name := range sortedKeys(ours) {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			specMD, ok := specMessages[name]
			if !ok {
				t.Fatalf("message %s is not in the spec", name)
			}
			mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
			if err != nil {
				t.Fatalf("find generated type: %v", err)
			}
			p := newPopulator()
			for p.variant = range variants(mt.Descriptor()) {
				roundTrip(t, p, mt, specMD)
			}
			for _, md := range reachable(mt.Descriptor()) {
				fields := md.Fields()
				for i := range fields.Len() {
					if fd := fields.Get(i); !p.set[fd.FullName()] {
						t.Errorf("field %s was never populated, so its encoding went unchecked", fd.FullName())
					}
				}
			}
		})
	}
}

// roundTrip encodes a populated generated message, decodes it with the
// descriptor built from the table, and requires every field to come back
// under the same name with the same value and nothing left over.
func roundTrip(t *testing.T, p *populator, mt protoreflect.MessageType, specMD protoreflect.MessageDescriptor) {
	t.Helper()
	original := mt.New()
	if err := p.message(original, nil); err != nil {
		t.Fatalf("variant %d: populate: %v", p.variant, err)
	}
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(original.Interface())
	if err != nil {
		t.Fatalf("variant %d: marshal generated: %v", p.variant, err)
	}
	decoded := dynamicpb.NewMessage(specMD)
	if err := proto.Unmarshal(wire, decoded); err != nil {
		t.Fatalf("variant %d: unmarshal with spec descriptor: %v", p.variant, err)
	}
	for _, u := range unknownFields(decoded, string(specMD.Name())) {
		t.Errorf("variant %d: %s", p.variant, u)
	}
	if diff := cmp.Diff(original.Interface(), decoded, protocmp.Transform()); diff != "" {
		t.Errorf("variant %d: spec decoding differs from generated (-generated +spec):\n%s", p.variant, diff)
	}

	rewire, err := proto.MarshalOptions{Deterministic: true}.Marshal(decoded)
	if err != nil {
		t.Fatalf("variant %d: marshal dynamic: %v", p.variant, err)
	}
	back := mt.New().Interface()
	if err := proto.Unmarshal(rewire, back); err != nil {
		t.Fatalf("variant %d: unmarshal re-encoded: %v", p.variant, err)
	}
	if !proto.Equal(original.Interface(), back) {
		t.Errorf("variant %d: re-encoding through the spec descriptor changed the message", p.variant)
	}
}

func compareMessage(t *testing.T, want *specMessage, md protoreflect.MessageDescriptor) {
	t.Helper()
	fields := md.Fields()
	for _, wf := range want.fields {
		fd := fields.ByName(wf.name)
		if fd == nil {
			t.Errorf("%s.%s (line %d) is missing", want.name, wf.name, wf.line)
			continue
		}
		compareField(t, fd.FullName(), wf, describeField(fd))
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !slices.ContainsFunc(want.fields, func(f specField) bool { return f.name == fd.Name() }) {
			t.Errorf("%s (number %d) is not in the spec", fd.FullName(), fd.Number())
		}
	}
}

func compareField(t *testing.T, name protoreflect.FullName, want, got specField) {
	t.Helper()
	if got.number != want.number {
		t.Errorf("%s: number %d, spec says %d (line %d)", name, got.number, want.number, want.line)
	}
	if got.cardinality != want.cardinality {
		t.Errorf("%s: cardinality %q, spec says %q (line %d)", name, orSingular(got.cardinality), orSingular(want.cardinality), want.line)
	}
	switch {
	case got.isMap() != want.isMap():
		t.Errorf("%s: type %s, spec says %s (line %d)", name, got.typeString(), want.typeString(), want.line)
	case got.isMap():
		if *got.mapKey != *want.mapKey {
			t.Errorf("%s: map key %s, spec says %s (line %d)", name, got.mapKey, want.mapKey, want.line)
		}
		if *got.mapValue != *want.mapValue {
			t.Errorf("%s: map value %s, spec says %s (line %d)", name, got.mapValue, want.mapValue, want.line)
		}
	case got.elem != want.elem:
		t.Errorf("%s: type %s, spec says %s (line %d)", name, got.elem, want.elem, want.line)
	}
	if got.oneof != want.oneof {
		t.Errorf("%s: oneof %q, spec says %q (line %d)", name, got.oneof, want.oneof, want.line)
	}
}

func orSingular(cardinality string) string {
	if cardinality == "" {
		return "singular"
	}
	return cardinality
}

func compareEnum(t *testing.T, want *specEnum, ed protoreflect.EnumDescriptor) {
	t.Helper()
	values := ed.Values()
	for _, wv := range want.values {
		v := values.ByName(wv.name)
		switch {
		case v == nil:
			t.Errorf("%s: value %s (line %d) is missing", want.name, wv.name, want.line)
		case v.Number() != wv.number:
			t.Errorf("%s: value %s is %d, spec says %d (line %d)", want.name, wv.name, v.Number(), wv.number, want.line)
		}
	}
	for i := range values.Len() {
		v := values.Get(i)
		if !slices.ContainsFunc(want.values, func(w specEnumValue) bool { return w.name == v.Name() }) {
			t.Errorf("%s: value %s = %d is not in the spec", want.name, v.Name(), v.Number())
		}
	}
}

// describeField renders a generated field in the table's terms.
func describeField(fd protoreflect.FieldDescriptor) specField {
	f := specField{name: fd.Name(), number: fd.Number()}
	switch {
	case fd.IsMap():
		key, value := typeOf(fd.MapKey()), typeOf(fd.MapValue())
		f.mapKey, f.mapValue = &key, &value
	case fd.IsList():
		f.cardinality, f.elem = "repeated", typeOf(fd)
	case fd.HasOptionalKeyword():
		f.cardinality, f.elem = "optional", typeOf(fd)
	default:
		f.elem = typeOf(fd)
	}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		f.oneof = od.Name()
	}
	return f
}

func typeOf(fd protoreflect.FieldDescriptor) specType {
	switch {
	case fd.Message() != nil:
		return specType{kind: fd.Kind(), typeName: fd.Message().FullName()}
	case fd.Enum() != nil:
		return specType{kind: fd.Kind(), typeName: fd.Enum().FullName()}
	default:
		return specType{kind: fd.Kind()}
	}
}

// declarations indexes every message and enum of a file by full name,
// nested ones included; map entries are left out because the table
// describes maps as field types.
func declarations(fd protoreflect.FileDescriptor) (map[protoreflect.FullName]protoreflect.MessageDescriptor, map[protoreflect.FullName]protoreflect.EnumDescriptor) {
	messages := make(map[protoreflect.FullName]protoreflect.MessageDescriptor)
	enums := make(map[protoreflect.FullName]protoreflect.EnumDescriptor)
	addEnums := func(eds protoreflect.EnumDescriptors) {
		for i := range eds.Len() {
			enums[eds.Get(i).FullName()] = eds.Get(i)
		}
	}
	var addMessages func(mds protoreflect.MessageDescriptors)
	addMessages = func(mds protoreflect.MessageDescriptors) {
		for i := range mds.Len() {
			md := mds.Get(i)
			if md.IsMapEntry() {
				continue
			}
			messages[md.FullName()] = md
			addEnums(md.Enums())
			addMessages(md.Messages())
		}
	}
	addEnums(fd.Enums())
	addMessages(fd.Messages())
	return messages, enums
}

// referencedEnums is the set of enums the table uses as field types.
func referencedEnums(spec *wireSpec) map[protoreflect.FullName]bool {
	refs := make(map[protoreflect.FullName]bool)
	for _, m := range spec.messages {
		for _, f := range m.fields {
			for _, t := range []*specType{&f.elem, f.mapKey, f.mapValue} {
				if t != nil && t.kind == protoreflect.EnumKind {
					refs[t.typeName] = true
				}
			}
		}
	}
	return refs
}

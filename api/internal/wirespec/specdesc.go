package wirespec

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// specFileName names the descriptor built from the table; it only has to be
// distinct from the files it imports.
const specFileName = "wire-table.proto"

// fileDescriptor builds a descriptor from the table rows alone, so that a
// decoder using it knows nothing of our .proto files or the generated code.
// Types outside the table (the well-known types) come from the protobuf
// registry, through a private registry that holds nothing but them.
//
// Enums the table references but does not define get a placeholder with a
// single zero value: proto3 enums are open, so every number still decodes
// as the field's value rather than as an unknown field.
func (s *Spec) fileDescriptor() (protoreflect.FileDescriptor, error) {
	messages := make(map[protoreflect.FullName]*descriptorpb.DescriptorProto, len(s.messages))
	for _, m := range s.messages {
		if messages[m.name] != nil {
			return nil, fmt.Errorf("line %d: message %s declared twice", m.line, m.name)
		}
		messages[m.name] = &descriptorpb.DescriptorProto{Name: proto.String(string(m.name.Name()))}
	}
	enums := make(map[protoreflect.FullName]*descriptorpb.EnumDescriptorProto, len(s.enums))
	for _, e := range s.enums {
		if enums[e.name] != nil {
			return nil, fmt.Errorf("line %d: enum %s declared twice", e.line, e.name)
		}
		enums[e.name] = specEnumProto(e)
	}

	imports := new(protoregistry.Files)
	var deps []string
	resolve := func(line int, t specType) (string, error) {
		if t.typeName == "" {
			return "", nil
		}
		if messages[t.typeName] != nil || enums[t.typeName] != nil {
			return "." + string(t.typeName), nil
		}
		if d, err := protoregistry.GlobalFiles.FindDescriptorByName(t.typeName); err == nil {
			if err := registerWithImports(imports, d.ParentFile()); err != nil {
				return "", err
			}
			if path := d.ParentFile().Path(); !slices.Contains(deps, path) {
				deps = append(deps, path)
			}
			return "." + string(t.typeName), nil
		}
		if t.kind != protoreflect.EnumKind {
			return "", fmt.Errorf("line %d: message %s is neither in the table nor a well-known type", line, t.typeName)
		}
		enums[t.typeName] = placeholderEnumProto(t.typeName)
		return "." + string(t.typeName), nil
	}

	for _, m := range s.messages {
		if err := buildMessage(messages[m.name], m, resolve); err != nil {
			return nil, err
		}
	}

	file := &descriptorpb.FileDescriptorProto{
		Name:   proto.String(specFileName),
		Syntax: proto.String("proto3"),
	}
	var pkg protoreflect.FullName
	var pkgErr error
	top := func(name protoreflect.FullName) bool {
		if messages[name.Parent()] != nil {
			return false
		}
		switch {
		case pkg == "":
			pkg = name.Parent()
		case name.Parent() != pkg && pkgErr == nil:
			pkgErr = fmt.Errorf("%s is outside package %s; the table must describe one package", name, pkg)
		}
		return true
	}
	for _, m := range s.messages {
		if top(m.name) {
			file.MessageType = append(file.MessageType, messages[m.name])
		} else {
			parent := messages[m.name.Parent()]
			parent.NestedType = append(parent.NestedType, messages[m.name])
		}
	}
	for _, name := range sortedKeys(enums) {
		if top(name) {
			file.EnumType = append(file.EnumType, enums[name])
		} else {
			parent := messages[name.Parent()]
			parent.EnumType = append(parent.EnumType, enums[name])
		}
	}
	services, err := s.serviceProtos(resolve)
	if err != nil {
		return nil, err
	}
	for _, sp := range services {
		name := protoreflect.FullName(sp.GetName())
		if pkg != "" && name.Parent() != pkg && pkgErr == nil {
			pkgErr = fmt.Errorf("service %s is outside package %s; the table must describe one package", name, pkg)
		}
		sp.Name = proto.String(string(name.Name()))
		file.Service = append(file.Service, sp)
	}
	if pkgErr != nil {
		return nil, pkgErr
	}
	file.Package = proto.String(string(pkg))
	slices.Sort(deps)
	file.Dependency = deps

	fd, err := protodesc.NewFile(file, imports)
	if err != nil {
		return nil, fmt.Errorf("build descriptor from table: %w", err)
	}
	return fd, nil
}

// serviceProtos groups the rpc rows by service, in table order. Service
// names are left full so that the caller can check their package.
func (s *Spec) serviceProtos(resolve func(int, specType) (string, error)) ([]*descriptorpb.ServiceDescriptorProto, error) {
	var services []*descriptorpb.ServiceDescriptorProto
	byName := make(map[protoreflect.FullName]*descriptorpb.ServiceDescriptorProto)
	for _, r := range s.rpcs {
		sp := byName[r.service]
		if sp == nil {
			sp = &descriptorpb.ServiceDescriptorProto{Name: proto.String(string(r.service))}
			byName[r.service] = sp
			services = append(services, sp)
		}
		input, err := resolve(r.line, specType{kind: protoreflect.MessageKind, typeName: r.request.message})
		if err != nil {
			return nil, err
		}
		output, err := resolve(r.line, specType{kind: protoreflect.MessageKind, typeName: r.response.message})
		if err != nil {
			return nil, err
		}
		mp := &descriptorpb.MethodDescriptorProto{
			Name:       proto.String(string(r.method)),
			InputType:  proto.String(input),
			OutputType: proto.String(output),
		}
		if r.request.streaming {
			mp.ClientStreaming = proto.Bool(true)
		}
		if r.response.streaming {
			mp.ServerStreaming = proto.Bool(true)
		}
		sp.Method = append(sp.Method, mp)
	}
	return services, nil
}

func buildMessage(dp *descriptorpb.DescriptorProto, m *specMessage, resolve func(int, specType) (string, error)) error {
	// protodesc requires the synthetic oneofs of proto3 optional fields to
	// follow every real oneof.
	var real, synthetic []string
	for _, f := range m.fields {
		if f.oneof != "" && !slices.Contains(real, string(f.oneof)) {
			real = append(real, string(f.oneof))
		}
	}
	for _, f := range m.fields {
		fp := &descriptorpb.FieldDescriptorProto{
			Name:   proto.String(string(f.name)),
			Number: proto.Int32(int32(f.number)),
			Label:  descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		}
		switch {
		case f.isMap():
			entry, err := mapEntryProto(f, resolve)
			if err != nil {
				return err
			}
			dp.NestedType = append(dp.NestedType, entry)
			fp.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			fp.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
			fp.TypeName = proto.String("." + string(m.name) + "." + entry.GetName())
		default:
			if err := setType(fp, f.line, f.elem, resolve); err != nil {
				return err
			}
			if f.cardinality == "repeated" {
				fp.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			}
		}
		switch {
		case f.oneof != "":
			fp.OneofIndex = proto.Int32(int32(slices.Index(real, string(f.oneof))))
		case f.cardinality == "optional":
			synthetic = append(synthetic, "_"+string(f.name))
			fp.Proto3Optional = proto.Bool(true)
			fp.OneofIndex = proto.Int32(int32(len(real) + len(synthetic) - 1))
		}
		dp.Field = append(dp.Field, fp)
	}
	for _, name := range append(real, synthetic...) {
		dp.OneofDecl = append(dp.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String(name)})
	}
	return nil
}

func setType(fp *descriptorpb.FieldDescriptorProto, line int, t specType, resolve func(int, specType) (string, error)) error {
	// Kind numbers are the descriptor's type numbers by definition.
	fp.Type = descriptorpb.FieldDescriptorProto_Type(t.kind).Enum()
	name, err := resolve(line, t)
	if err != nil {
		return err
	}
	if name != "" {
		fp.TypeName = proto.String(name)
	}
	return nil
}

func mapEntryProto(f specField, resolve func(int, specType) (string, error)) (*descriptorpb.DescriptorProto, error) {
	key := &descriptorpb.FieldDescriptorProto{
		Name:   proto.String("key"),
		Number: proto.Int32(1),
		Label:  descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
	}
	value := &descriptorpb.FieldDescriptorProto{
		Name:   proto.String("value"),
		Number: proto.Int32(2),
		Label:  descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
	}
	if err := setType(key, f.line, *f.mapKey, resolve); err != nil {
		return nil, err
	}
	if err := setType(value, f.line, *f.mapValue, resolve); err != nil {
		return nil, err
	}
	return &descriptorpb.DescriptorProto{
		Name:    proto.String(mapEntryName(f.name)),
		Field:   []*descriptorpb.FieldDescriptorProto{key, value},
		Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
	}, nil
}

// mapEntryName is protoc's name for the entry message of a map field, which
// protodesc insists on.
func mapEntryName(field protoreflect.Name) string {
	var b strings.Builder
	upper := true
	for _, r := range string(field) {
		switch {
		case r == '_':
			upper = true
		case upper:
			b.WriteString(strings.ToUpper(string(r)))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String() + "Entry"
}

func specEnumProto(e *specEnum) *descriptorpb.EnumDescriptorProto {
	ep := &descriptorpb.EnumDescriptorProto{Name: proto.String(string(e.name.Name()))}
	for _, v := range e.values {
		ep.Value = append(ep.Value, &descriptorpb.EnumValueDescriptorProto{
			Name:   proto.String(string(v.name)),
			Number: proto.Int32(int32(v.number)),
		})
	}
	return ep
}

func placeholderEnumProto(name protoreflect.FullName) *descriptorpb.EnumDescriptorProto {
	// Enum values share their parent's scope, so the value is named after
	// the enum to stay unique among siblings.
	value := strings.ToUpper(string(name.Name())) + "_NOT_IN_TABLE"
	return &descriptorpb.EnumDescriptorProto{
		Name: proto.String(string(name.Name())),
		Value: []*descriptorpb.EnumValueDescriptorProto{
			{Name: proto.String(value), Number: proto.Int32(0)},
		},
	}
}

func registerWithImports(files *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := files.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		if err := registerWithImports(files, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	if err := files.RegisterFile(fd); err != nil {
		return fmt.Errorf("register %s: %w", fd.Path(), err)
	}
	return nil
}

package wirespec

import (
	"fmt"
	"path"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// report collects problems, one line each, in the order they are found.
type report []string

func (r *report) add(format string, args ...any) {
	*r = append(*r, fmt.Sprintf(format, args...))
}

// descriptorProblems compares every declaration of ours with the table.
// Notes are findings that are not failures: enums the table names without
// values, whose values therefore go unchecked.
func (c *checker) descriptorProblems() (problems report, notes []string) {
	c.messageProblems(&problems)
	notes = c.enumProblems(&problems)
	c.serviceProblems(&problems)
	return problems, notes
}

func (c *checker) messageProblems(r *report) {
	for _, want := range c.spec.messages {
		md, ok := c.ours.messages[want.name]
		if !ok {
			r.add("message %s (line %d) is missing", want.name, want.line)
			continue
		}
		if got := path.Base(md.ParentFile().Path()); got != want.file {
			r.add("message %s is declared in %s, the table says %s", want.name, got, want.file)
		}
		c.compareMessage(r, want, md)
	}
	for _, name := range sortedKeys(c.ours.messages) {
		if !c.tableMessages[name] {
			r.add("message %s is not in the table%s", name, c.elsewhereHint())
		}
	}
}

// elsewhereHint says where declarations of ours belong instead.
func (c *checker) elsewhereHint() string {
	if c.ownFieldsFrom == 0 {
		return ""
	}
	return "; declarations of ours belong in a package of our own"
}

func (c *checker) compareMessage(r *report, want *specMessage, md protoreflect.MessageDescriptor) {
	fields := md.Fields()
	for _, wf := range want.fields {
		if c.isOwn(wf.number) {
			r.add("%s.%s (line %d) has number %d, which the table's owner now uses although we keep it for fields of ours: move ours", want.name, wf.name, wf.line, wf.number)
		}
		fd := fields.ByName(wf.name)
		if fd == nil {
			r.add("%s.%s (line %d) is missing", want.name, wf.name, wf.line)
			continue
		}
		compareField(r, fd.FullName(), wf, describeField(fd))
	}
	inTable := func(name protoreflect.Name) bool {
		return slices.ContainsFunc(want.fields, func(f specField) bool { return f.name == name })
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case inTable(fd.Name()):
		case !c.isOwn(fd.Number()):
			r.add("%s (number %d) is not in the table%s", fd.FullName(), fd.Number(), c.ownFieldsHint())
		case joinsTableOneof(fd, inTable):
			r.add("%s is a field of ours in oneof %s, which holds fields of the table; clients that do not know it would keep a second member set",
				fd.FullName(), fd.ContainingOneof().Name())
		}
	}
}

// joinsTableOneof tells whether fd belongs to a real oneof that also holds
// a field of the table.
func joinsTableOneof(fd protoreflect.FieldDescriptor, inTable func(protoreflect.Name) bool) bool {
	od := fd.ContainingOneof()
	if od == nil || od.IsSynthetic() {
		return false
	}
	members := od.Fields()
	for i := range members.Len() {
		if inTable(members.Get(i).Name()) {
			return true
		}
	}
	return false
}

func compareField(r *report, name protoreflect.FullName, want, got specField) {
	if got.number != want.number {
		r.add("%s: number %d, the table says %d (line %d)", name, got.number, want.number, want.line)
	}
	if got.cardinality != want.cardinality {
		r.add("%s: cardinality %q, the table says %q (line %d)", name, orSingular(got.cardinality), orSingular(want.cardinality), want.line)
	}
	switch {
	case got.isMap() != want.isMap():
		r.add("%s: type %s, the table says %s (line %d)", name, got.typeString(), want.typeString(), want.line)
	case got.isMap():
		if *got.mapKey != *want.mapKey {
			r.add("%s: map key %s, the table says %s (line %d)", name, got.mapKey, want.mapKey, want.line)
		}
		if *got.mapValue != *want.mapValue {
			r.add("%s: map value %s, the table says %s (line %d)", name, got.mapValue, want.mapValue, want.line)
		}
	case got.elem != want.elem:
		r.add("%s: type %s, the table says %s (line %d)", name, got.elem, want.elem, want.line)
	}
	if got.oneof != want.oneof {
		r.add("%s: oneof %q, the table says %q (line %d)", name, got.oneof, want.oneof, want.line)
	}
}

func orSingular(cardinality string) string {
	if cardinality == "" {
		return "singular"
	}
	return cardinality
}

func (c *checker) enumProblems(r *report) (notes []string) {
	seen := make(map[protoreflect.FullName]bool)
	for _, want := range c.spec.enums {
		seen[want.name] = true
		ed, ok := c.ours.enums[want.name]
		if !ok {
			r.add("enum %s (line %d) is missing", want.name, want.line)
			continue
		}
		// A nested enum lives with its message, whose file is checked.
		_, nested := c.ours.messages[want.name.Parent()]
		if got := path.Base(ed.ParentFile().Path()); want.file != "" && !nested && got != want.file {
			r.add("enum %s is declared in %s, but its row (line %d) follows the messages of %s", want.name, got, want.line, want.file)
		}
		compareEnum(r, want, ed)
	}
	referenced := referencedEnums(c.spec)
	for _, name := range sortedKeys(c.ours.enums) {
		switch {
		case seen[name]:
		case referenced[name]:
			// The table uses the enum as a field type without listing its
			// values; only its name is a fact to check, and the field
			// comparison has done that.
			notes = append(notes, fmt.Sprintf("enum %s: values not in the table, left unchecked", name))
		default:
			r.add("enum %s is not in the table%s", name, c.elsewhereHint())
		}
	}
	return notes
}

func compareEnum(r *report, want *specEnum, ed protoreflect.EnumDescriptor) {
	values := ed.Values()
	for _, wv := range want.values {
		v := values.ByName(wv.name)
		switch {
		case v == nil:
			r.add("%s: value %s (line %d) is missing", want.name, wv.name, want.line)
		case v.Number() != wv.number:
			r.add("%s: value %s is %d, the table says %d (line %d)", want.name, wv.name, v.Number(), wv.number, want.line)
		}
	}
	for i := range values.Len() {
		v := values.Get(i)
		if !slices.ContainsFunc(want.values, func(w specEnumValue) bool { return w.name == v.Name() }) {
			r.add("%s: value %s = %d is not in the table", want.name, v.Name(), v.Number())
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

// referencedEnums is the set of enums the table uses as field types.
func referencedEnums(spec *Spec) map[protoreflect.FullName]bool {
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

package wirespec

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Contract names a protobuf package of ours and the tables of wire facts it
// must match.
type Contract struct {
	// Tables are the paths of the wire table and of its supplements, in the
	// order Load takes them.
	Tables []string
	// Package is the protobuf package the tables describe. Every file of it
	// that is linked into the test binary is checked, so a declaration
	// cannot escape the check by living in a new file.
	Package protoreflect.FullName
	// OwnFieldsFrom is the lowest field number at which a message of the
	// table may carry fields of ours, which the owner's clients skip as
	// unknown; zero allows none. Declarations of ours that are not fields of
	// table messages belong in another package.
	OwnFieldsFrom protoreflect.FieldNumber
}

// Test checks the contract in subtests of t: the descriptors declaration
// by declaration, then every message through an encoding round trip with a
// descriptor built from the tables alone.
func Test(t *testing.T, c Contract) {
	t.Helper()
	spec, err := Load(c.Tables...)
	if err != nil {
		t.Fatal(err)
	}
	files := packageFiles(protoregistry.GlobalFiles, c.Package)
	if len(files) == 0 {
		t.Fatalf("no file of package %s is linked into the test", c.Package)
	}
	ch := newChecker(spec, files, c.OwnFieldsFrom, protoregistry.GlobalTypes)

	t.Run("descriptors", func(t *testing.T) {
		t.Parallel()
		problems, notes := ch.descriptorProblems()
		for _, n := range notes {
			t.Log(n)
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
	t.Run("round_trip", func(t *testing.T) {
		t.Parallel()
		specFile, err := spec.fileDescriptor()
		if err != nil {
			t.Fatal(err)
		}
		specMessages := index(specFile).messages
		for _, name := range ch.messageNames() {
			t.Run(string(name), func(t *testing.T) {
				t.Parallel()
				for _, p := range ch.roundTripProblems(specMessages, name) {
					t.Error(p)
				}
			})
		}
	})
}

// packageFiles lists the files of pkg in files, by path.
func packageFiles(files *protoregistry.Files, pkg protoreflect.FullName) []protoreflect.FileDescriptor {
	var out []protoreflect.FileDescriptor
	files.RangeFilesByPackage(pkg, func(fd protoreflect.FileDescriptor) bool {
		out = append(out, fd)
		return true
	})
	slices.SortFunc(out, func(a, b protoreflect.FileDescriptor) int {
		return strings.Compare(a.Path(), b.Path())
	})
	return out
}

// checker compares one package's descriptors with a spec.
type checker struct {
	spec          *Spec
	ours          declarations
	ownFieldsFrom protoreflect.FieldNumber
	types         protoregistry.MessageTypeResolver
	// tableMessages holds the names of the table's messages, the only ones
	// that may carry fields of ours.
	tableMessages map[protoreflect.FullName]bool
}

func newChecker(spec *Spec, files []protoreflect.FileDescriptor, ownFieldsFrom protoreflect.FieldNumber, types protoregistry.MessageTypeResolver) *checker {
	table := make(map[protoreflect.FullName]bool, len(spec.messages))
	for _, m := range spec.messages {
		table[m.name] = true
	}
	return &checker{
		spec:          spec,
		ours:          index(files...),
		ownFieldsFrom: ownFieldsFrom,
		types:         types,
		tableMessages: table,
	}
}

// isOwn tells whether a field number is one that our own fields may use.
func (c *checker) isOwn(n protoreflect.FieldNumber) bool {
	return c.ownFieldsFrom > 0 && n >= c.ownFieldsFrom
}

func (c *checker) ownFieldsHint() string {
	if c.ownFieldsFrom == 0 {
		return ""
	}
	return fmt.Sprintf("; fields of ours take numbers from %d up", c.ownFieldsFrom)
}

// messageNames lists every message of ours, nested ones included, by name.
func (c *checker) messageNames() []protoreflect.FullName {
	return sortedKeys(c.ours.messages)
}

// declarations indexes the messages, enums and services of files by full
// name, nested ones included; map entries are left out because the table
// describes maps as field types.
type declarations struct {
	messages map[protoreflect.FullName]protoreflect.MessageDescriptor
	enums    map[protoreflect.FullName]protoreflect.EnumDescriptor
	services map[protoreflect.FullName]protoreflect.ServiceDescriptor
}

func index(files ...protoreflect.FileDescriptor) declarations {
	d := declarations{
		messages: make(map[protoreflect.FullName]protoreflect.MessageDescriptor),
		enums:    make(map[protoreflect.FullName]protoreflect.EnumDescriptor),
		services: make(map[protoreflect.FullName]protoreflect.ServiceDescriptor),
	}
	addEnums := func(eds protoreflect.EnumDescriptors) {
		for i := range eds.Len() {
			d.enums[eds.Get(i).FullName()] = eds.Get(i)
		}
	}
	var addMessages func(mds protoreflect.MessageDescriptors)
	addMessages = func(mds protoreflect.MessageDescriptors) {
		for i := range mds.Len() {
			md := mds.Get(i)
			if md.IsMapEntry() {
				continue
			}
			d.messages[md.FullName()] = md
			addEnums(md.Enums())
			addMessages(md.Messages())
		}
	}
	for _, fd := range files {
		addEnums(fd.Enums())
		addMessages(fd.Messages())
		services := fd.Services()
		for i := range services.Len() {
			d.services[services.Get(i).FullName()] = services.Get(i)
		}
	}
	return d
}

func sortedKeys[V any](m map[protoreflect.FullName]V) []protoreflect.FullName {
	keys := make([]protoreflect.FullName, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

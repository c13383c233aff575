package wirespec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The checks are only worth what they catch: these tests build "our"
// descriptors from a small table, break them one way at a time, and
// require the break to be reported, while the changes the contract allows
// (fields of ours from the floor up) pass.

const testTable = `# a table of the same shape as the real ones
message	x.test.Thing	thing.proto
field	id	1	string	
field	tags	2	repeated string	
field	size	3	optional int64	
field	kind	4	enum x.test.Kind	
field	labels	5	map<string,x.test.Thing.Part>	
field	text	6	string	oneof choice
field	part	7	x.test.Thing.Part	oneof choice
message	x.test.Thing.Part	thing.proto
field	n	1	sint32	
message	x.test.GetThingRequest	thing.proto
field	id	1	string	
enum	x.test.Kind	KIND_UNKNOWN=0 KIND_BIG=1 KIND_SMALL=2
rpc	x.test.ThingService/GetThing	x.test.GetThingRequest -> x.test.Thing
rpc	x.test.ThingService/WatchThings	x.test.GetThingRequest -> stream x.test.Thing
`

const floor = 1000

func TestChecksCatchBreaks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// noneOfOurs checks with no number range left for fields of ours.
		noneOfOurs bool
		edit       func(fdp *descriptorpb.FileDescriptorProto)
		// want lists what the problems must mention; none means the
		// descriptors and every round trip must pass.
		want []string
	}{
		{name: "unchanged", edit: func(*descriptorpb.FileDescriptorProto) {}},
		{
			name: "field renumbered",
			edit: func(fdp *descriptorpb.FileDescriptorProto) { fieldProto(fdp, "Thing", "id").Number = proto.Int32(9) },
			want: []string{"x.test.Thing.id: number 9, the table says 1", "Thing: unknown field numbers 9"},
		},
		{
			name: "field retyped",
			edit: func(fdp *descriptorpb.FileDescriptorProto) {
				fieldProto(fdp, "Thing", "id").Type = descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum()
			},
			want: []string{"x.test.Thing.id: type bytes, the table says string"},
		},
		{
			name: "field of ours below the floor",
			edit: addField("Thing", "ours", floor-1, nil),
			want: []string{
				"x.test.Thing.ours (number 999) is not in the table; fields of ours take numbers from 1000 up",
				"Thing: unknown field numbers 999",
			},
		},
		{name: "fields of ours from the floor up", edit: func(fdp *descriptorpb.FileDescriptorProto) {
			addField("Thing", "ours", floor, nil)(fdp)
			addField("Part", "also_ours", floor+1, nil)(fdp)
		}},
		{
			name:       "fields of ours where none are allowed",
			noneOfOurs: true,
			edit:       addField("Thing", "ours", floor, nil),
			want:       []string{"x.test.Thing.ours (number 1000) is not in the table"},
		},
		{
			name: "field of ours in a oneof of the table",
			edit: addField("Thing", "ours", floor, proto.Int32(0)),
			want: []string{"x.test.Thing.ours is a field of ours in oneof choice"},
		},
		{
			name: "message of ours in the package",
			edit: func(fdp *descriptorpb.FileDescriptorProto) {
				fdp.MessageType = append(fdp.MessageType, &descriptorpb.DescriptorProto{Name: proto.String("Extra")})
			},
			want: []string{"message x.test.Extra is not in the table; declarations of ours belong in a package of our own"},
		},
		{
			name: "enum value added",
			edit: func(fdp *descriptorpb.FileDescriptorProto) {
				e := fdp.EnumType[0]
				e.Value = append(e.Value, &descriptorpb.EnumValueDescriptorProto{Name: proto.String("KIND_HUGE"), Number: proto.Int32(3)})
			},
			want: []string{"x.test.Kind: value KIND_HUGE = 3 is not in the table"},
		},
		{
			name: "rpc missing",
			edit: func(fdp *descriptorpb.FileDescriptorProto) { fdp.Service[0].Method = fdp.Service[0].Method[:1] },
			want: []string{"rpc x.test.ThingService/WatchThings (line 16) is missing"},
		},
		{
			name: "stream lost",
			edit: func(fdp *descriptorpb.FileDescriptorProto) { fdp.Service[0].Method[1].ServerStreaming = nil },
			want: []string{"response x.test.Thing, the table says stream x.test.Thing"},
		},
		{
			name: "rpc of ours in a service of the table",
			edit: func(fdp *descriptorpb.FileDescriptorProto) {
				fdp.Service[0].Method = append(fdp.Service[0].Method, &descriptorpb.MethodDescriptorProto{
					Name: proto.String("Mine"), InputType: proto.String(".x.test.Thing"), OutputType: proto.String(".x.test.Thing"),
				})
			},
			want: []string{"rpc x.test.ThingService/Mine is not in the table"},
		},
		{
			name: "declared in another file",
			edit: func(fdp *descriptorpb.FileDescriptorProto) { fdp.Name = proto.String("other.proto") },
			want: []string{
				"message x.test.Thing is declared in other.proto, the table says thing.proto",
				"enum x.test.Kind is declared in other.proto",
				"service x.test.ThingService is declared in other.proto, but GetThing takes x.test.GetThingRequest from thing.proto",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec, err := parse(strings.NewReader(testTable))
			if err != nil {
				t.Fatal(err)
			}
			ownFieldsFrom := protoreflect.FieldNumber(floor)
			if tc.noneOfOurs {
				ownFieldsFrom = 0
			}
			ch, specMessages := checkerFor(t, spec, ownFieldsFrom, tc.edit)

			var problems report
			descriptors, _ := ch.descriptorProblems()
			problems = append(problems, descriptors...)
			for _, name := range ch.messageNames() {
				problems = append(problems, ch.roundTripProblems(specMessages, name)...)
			}
			all := strings.Join(problems, "\n")
			if len(tc.want) == 0 && len(problems) > 0 {
				t.Errorf("want no problems, got:\n%s", all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("want a problem mentioning %q, got:\n%s", w, all)
				}
			}
		})
	}
}

// checkerFor builds "our" file from the table's own descriptor, as the
// table's file, edits it and returns a checker of it along with the
// table's messages to round-trip against.
func checkerFor(t *testing.T, spec *Spec, ownFieldsFrom protoreflect.FieldNumber, edit func(*descriptorpb.FileDescriptorProto)) (*checker, map[protoreflect.FullName]protoreflect.MessageDescriptor) {
	t.Helper()
	specFile, err := spec.fileDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	fdp := protodesc.ToFileDescriptorProto(specFile)
	fdp.Name = proto.String("thing.proto")
	edit(fdp)
	ours, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatalf("build edited file: %v", err)
	}
	files := new(protoregistry.Files)
	if err := files.RegisterFile(ours); err != nil {
		t.Fatal(err)
	}
	ch := newChecker(spec, packageFiles(files, "x.test"), ownFieldsFrom, dynamicpb.NewTypes(files))
	return ch, index(specFile).messages
}

func fieldProto(fdp *descriptorpb.FileDescriptorProto, message, name string) *descriptorpb.FieldDescriptorProto {
	for _, f := range messageProto(fdp, message).Field {
		if f.GetName() == name {
			return f
		}
	}
	panic("no field " + message + "." + name)
}

// messageProto finds a message of the file or nested one level down.
func messageProto(fdp *descriptorpb.FileDescriptorProto, name string) *descriptorpb.DescriptorProto {
	for _, m := range fdp.MessageType {
		if m.GetName() == name {
			return m
		}
		for _, n := range m.NestedType {
			if n.GetName() == name {
				return n
			}
		}
	}
	panic("no message " + name)
}

func addField(message, name string, number int32, oneof *int32) func(*descriptorpb.FileDescriptorProto) {
	return func(fdp *descriptorpb.FileDescriptorProto) {
		m := messageProto(fdp, message)
		m.Field = append(m.Field, &descriptorpb.FieldDescriptorProto{
			Name:       proto.String(name),
			Number:     proto.Int32(number),
			Label:      descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			Type:       descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			OneofIndex: oneof,
		})
	}
}

func TestLoadRefusesRedeclaration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	table := filepath.Join(dir, "table.tsv")
	supplement := filepath.Join(dir, "supplement.tsv")
	if err := os.WriteFile(table, []byte(testTable), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(supplement, []byte("enum\tx.test.Kind\tKIND_UNKNOWN=0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(table); err != nil {
		t.Fatalf("load the table alone: %v", err)
	}
	_, err := Load(table, supplement)
	if err == nil || !strings.Contains(err.Error(), "x.test.Kind is declared again") {
		t.Fatalf("want the redeclared enum refused, got %v", err)
	}
}

func TestParseRefusesMalformedRows(t *testing.T) {
	t.Parallel()
	for _, row := range []string{
		"field\tid\t1\tstring\t",
		"message\tx.test.A\ta.proto\nfield\tid\tone\tstring\t",
		"message\tx.test.A\ta.proto\nfield\tm\t1\tmap<string\t",
		"message\tx.test.A\ta.proto\nfield\tid\t1\tstring\tchoice",
		"enum\tx.test.E\t",
		"rpc\tx.test.S.M\tx.test.A -> x.test.A",
		"rpc\tx.test.S/M\tx.test.A",
		"rpc\tx.test.S/M\tx.test.A -> streaming x.test.A",
		"table\tx",
	} {
		if _, err := parse(strings.NewReader(row + "\n")); err == nil {
			t.Errorf("parse accepted %q", row)
		}
	}
}

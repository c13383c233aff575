package convert

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
)

// roundTrip proves which fields of a message a conversion carries: it
// populates the message fully, clears the fields the table says are not
// carried, converts it there and back, and requires the result to equal
// what went in.
type roundTrip struct {
	// newMessage makes an empty message of the type under test.
	newMessage func() proto.Message
	// listed are the fields not carried, by path.
	listed map[string]bool
	// fixup makes a populated message valid input, given the round.
	fixup func(m proto.Message, round int)
	// convert converts there and back.
	convert func(t *testing.T, in proto.Message) proto.Message
}

// rounds is how often a message is populated: enough for the members of
// every oneof to take their turn.
const rounds = 6

// run returns the paths of every field that survived a round trip set.
func (rt roundTrip) run(t *testing.T) map[string]bool {
	t.Helper()
	carried := make(map[string]bool)
	p := newPopulator()
	for round := range rounds {
		in := rt.newMessage()
		p.fill(in)
		clearPaths(in.ProtoReflect(), "", rt.listed)
		if rt.fixup != nil {
			rt.fixup(in, round)
		}
		out := rt.convert(t, in)
		if diff := cmp.Diff(in, out, protocmp.Transform()); diff != "" {
			t.Fatalf("round %d: the round trip changed the message (-in +out):\n%s", round, diff)
		}
		setPaths(in.ProtoReflect(), "", carried)
	}
	return carried
}

// check runs the round trip and accounts for every field of the message.
func (rt roundTrip) check(t *testing.T) {
	t.Helper()
	account(t, rt.newMessage().ProtoReflect().Descriptor(), rt.run(t), rt.listed)
}

// refusal is input a conversion must refuse, with the error it must give.
type refusal[T any] struct {
	name string
	in   T
	want string
}

// testRefusals requires convert to refuse every input with a *FieldError
// that says what the case wants.
func testRefusals[T any](t *testing.T, convert func(T) error, cases []refusal[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := convert(tc.in)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FieldError", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// account fails for every field of md, nested fields included, that is
// neither carried nor listed, and for every listed path that names no
// field.
func account(t *testing.T, md protoreflect.MessageDescriptor, carried, listed map[string]bool) {
	t.Helper()
	all := make(map[string]bool)
	walkFields(md, "", all, nil, func(path string) bool {
		switch {
		case listed[path]:
			return false
		case carried[path]:
			return true
		}
		t.Errorf("%s field %s is neither converted (no round trip carries it) nor listed as unconverted with a reason",
			md.FullName(), path)
		return false
	})
	for _, path := range slices.Sorted(maps.Keys(listed)) {
		if !all[path] {
			t.Errorf("%s has no field %s, which the table of unconverted fields lists", md.FullName(), path)
		}
	}
}

// walkFields visits every field path of md; visit says whether to descend
// into the field's message type.
func walkFields(md protoreflect.MessageDescriptor, prefix string, all map[string]bool, stack []protoreflect.FullName, visit func(string) bool) {
	if slices.Contains(stack, md.FullName()) {
		return
	}
	stack = append(stack, md.FullName())
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := joinPath(prefix, string(fd.Name()))
		all[path] = true
		if !visit(path) {
			continue
		}
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if sub := fd.Message(); sub != nil && !wellKnown(sub) {
			walkFields(sub, path, all, stack, visit)
		}
	}
}

// setPaths records the path of every field set in m, through lists and
// maps of messages.
func setPaths(m protoreflect.Message, prefix string, out map[string]bool) {
	eachMessage(m, prefix, func(sub protoreflect.Message, fd protoreflect.FieldDescriptor, path string) {
		out[path] = true
		if sub != nil {
			setPaths(sub, path, out)
		}
	})
}

// clearPaths clears the fields of m whose paths are listed.
func clearPaths(m protoreflect.Message, prefix string, listed map[string]bool) {
	eachMessage(m, prefix, func(sub protoreflect.Message, fd protoreflect.FieldDescriptor, path string) {
		switch {
		case listed[path]:
			m.Clear(fd)
		case sub != nil:
			clearPaths(sub, path, listed)
		}
	})
}

// eachMessage calls f for every set field of m, once per message value it
// holds (sub) or once with a nil sub for scalars and well-known types. It
// looks at every field before calling f, so that f may clear fields of m.
func eachMessage(m protoreflect.Message, prefix string, f func(sub protoreflect.Message, fd protoreflect.FieldDescriptor, path string)) {
	type visit struct {
		sub  protoreflect.Message
		fd   protoreflect.FieldDescriptor
		path string
	}
	var visits []visit
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := joinPath(prefix, string(fd.Name()))
		vd := fd
		if fd.IsMap() {
			vd = fd.MapValue()
		}
		switch {
		case vd.Message() == nil || wellKnown(vd.Message()):
			visits = append(visits, visit{nil, fd, path})
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, e protoreflect.Value) bool {
				visits = append(visits, visit{e.Message(), fd, path})
				return true
			})
		case fd.IsList():
			for i := range v.List().Len() {
				visits = append(visits, visit{v.List().Get(i).Message(), fd, path})
			}
		default:
			visits = append(visits, visit{v.Message(), fd, path})
		}
		return true
	})
	for _, v := range visits {
		f(v.sub, v.fd, v.path)
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

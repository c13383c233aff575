package wirespec

import (
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/dynamicpb"
)

// maxRounds bounds how often one message is populated in search of the
// oneof members not set yet; it is far above what the deepest nesting of
// oneofs in our contracts needs.
const maxRounds = 64

// roundTripProblems populates the generated message name again and again,
// until every field it can reach has been set at least once, and checks
// each population through the table's descriptor (see roundTrip). A field
// still unset after that is a problem too: left at its zero value it is
// not encoded, and so not checked at all.
func (c *checker) roundTripProblems(specMessages map[protoreflect.FullName]protoreflect.MessageDescriptor, name protoreflect.FullName) report {
	var r report
	specMD, ok := specMessages[name]
	if !ok {
		r.add("message %s is not in the table, so there is no wire fact to decode it with", name)
		return r
	}
	mt, err := c.types.FindMessageByName(name)
	if err != nil {
		r.add("find generated type %s: %v", name, err)
		return r
	}
	p := newPopulator()
	mds := reachable(mt.Descriptor())
	for round := 0; round == 0 || round < maxRounds && !p.setAll(mds); round++ {
		c.roundTrip(&r, round, p, mt, specMD)
	}
	for _, md := range mds {
		fields := md.Fields()
		for i := range fields.Len() {
			if fd := fields.Get(i); !p.set[fd.FullName()] {
				r.add("field %s was never populated, so its encoding went unchecked", fd.FullName())
			}
		}
	}
	return r
}

// roundTrip encodes a populated generated message and decodes it with the
// descriptor built from the table. Every field of the table has to come
// back under the same name with the same value; fields of ours have to
// arrive as unknown fields in their own number range, and survive when the
// table's side encodes the message again, as the owner's clients do.
func (c *checker) roundTrip(r *report, round int, p *populator, mt protoreflect.MessageType, specMD protoreflect.MessageDescriptor) {
	original := mt.New()
	if err := p.message(original, nil); err != nil {
		r.add("round %d: populate: %v", round, err)
		return
	}
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(original.Interface())
	if err != nil {
		r.add("round %d: marshal generated: %v", round, err)
		return
	}
	decoded := dynamicpb.NewMessage(specMD)
	if err := proto.Unmarshal(wire, decoded); err != nil {
		r.add("round %d: unmarshal with the table's descriptor: %v", round, err)
		return
	}
	for _, u := range c.unknownFields(decoded, string(specMD.Name())) {
		r.add("round %d: %s", round, u)
	}
	expected := proto.Clone(original.Interface())
	c.clearOwnFields(expected.ProtoReflect())
	if diff := cmp.Diff(expected, decoded, protocmp.Transform(), protocmp.IgnoreUnknown()); diff != "" {
		r.add("round %d: decoding with the table's descriptor differs (-generated +table):\n%s", round, diff)
	}

	rewire, err := proto.MarshalOptions{Deterministic: true}.Marshal(decoded)
	if err != nil {
		r.add("round %d: marshal dynamic: %v", round, err)
		return
	}
	back := mt.New().Interface()
	if err := proto.Unmarshal(rewire, back); err != nil {
		r.add("round %d: unmarshal re-encoded: %v", round, err)
		return
	}
	if !proto.Equal(original.Interface(), back) {
		r.add("round %d: re-encoding through the table's descriptor changed the message", round)
	}
}

// clearOwnFields clears, throughout the tree, the fields of ours in the
// table's messages: what a decoder that knows only the table cannot see.
func (c *checker) clearOwnFields(m protoreflect.Message) {
	table := c.tableMessages[m.Descriptor().FullName()]
	var own []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if table && c.isOwn(fd.Number()) {
			own = append(own, fd)
			return true
		}
		eachMessage(fd, v, func(_ string, m protoreflect.Message) { c.clearOwnFields(m) })
		return true
	})
	// Clearing is left until after Range, which allows no mutation.
	for _, fd := range own {
		m.Clear(fd)
	}
}

// unknownFields reports, by path, every message in the tree that kept bytes
// its descriptor has no field for, other than those of fields of ours.
func (c *checker) unknownFields(m protoreflect.Message, at string) []string {
	var found []string
	var numbers []string
	for raw := m.GetUnknown(); len(raw) > 0; {
		num, _, n := protowire.ConsumeField(raw)
		if n < 0 {
			numbers = append(numbers, "malformed")
			break
		}
		if !c.isOwn(num) {
			numbers = append(numbers, fmt.Sprint(num))
		}
		raw = raw[n:]
	}
	if len(numbers) > 0 {
		found = append(found, fmt.Sprintf("%s: unknown field numbers %s", at, strings.Join(numbers, ", ")))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		eachMessage(fd, v, func(suffix string, m protoreflect.Message) {
			found = append(found, c.unknownFields(m, at+"."+string(fd.Name())+suffix)...)
		})
		return true
	})
	return found
}

// eachMessage calls f with every message that the value v of field fd holds,
// and the suffix that leads from the field to it: "" for a singular field,
// "[key]" or "[index]" for a map or list.
func eachMessage(fd protoreflect.FieldDescriptor, v protoreflect.Value, f func(suffix string, m protoreflect.Message)) {
	switch {
	case fd.IsMap():
		if fd.MapValue().Message() != nil {
			v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				f(fmt.Sprintf("[%v]", k), v.Message())
				return true
			})
		}
	case fd.IsList():
		if fd.Message() != nil {
			for i := range v.List().Len() {
				f(fmt.Sprintf("[%d]", i), v.List().Get(i).Message())
			}
		}
	case fd.Message() != nil:
		f("", v.Message())
	}
}

package manage

import (
	"google.golang.org/protobuf/proto"
)

// throughOf is stored after the trip a writer's message gives it; nil when
// the trip fails (a stored value the writer would refuse as input): then
// nothing of the stored spec is known to be expressed.
func throughOf[T proto.Message](trip func(T) (T, error), stored T) proto.Message {
	back, err := trip(proto.CloneOf(stored))
	if err != nil {
		return nil
	}
	return back
}

// keepUnexpressed copies into spec the fields of stored that a writer
// cannot express: those whose stored value does not come back unchanged
// through the writer's message (back; nil: none does). A field the writer
// can express is left as the writer set it, so clearing an expressible
// field still clears it; a field the writer set itself is never
// overwritten.
func keepUnexpressed(spec, stored, back proto.Message) {
	if !stored.ProtoReflect().IsValid() {
		return
	}
	// A copy, so that the spec written shares no memory with the stored.
	src := proto.Clone(stored).ProtoReflect()
	dst := spec.ProtoReflect()
	fields := src.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if !src.Has(f) || dst.Has(f) {
			continue
		}
		if back != nil {
			if bm := back.ProtoReflect(); bm.Has(f) && bm.Get(f).Equal(src.Get(f)) {
				continue
			}
		}
		dst.Set(f, src.Get(f))
	}
}

package convert

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Presence. The APIs declare many fields optional whose counterpart in
// the store cannot tell the zero value from unset: allow_websockets and
// prefix are plain in the pomerium.config.Route spec, authorize_service_url
// is a list there, codec_type UNKNOWN is no value of it; a
// pomerium.config.Policy's description is a plain string of store.Policy.
// A client that sets one of them to its zero value must read it back set,
// one that leaves it out must read it unset, so the store keeps the paths
// of those a client set beside the object (store.Route.Explicit and its
// kin): ExplicitZeroes finds them by converting the object back,
// RestoreExplicit sets them again on the way out. Both walk the
// descriptors of whichever message the writer speaks, so a field added to
// an API later is covered without a line here.

// ExplicitZeroes returns the optional fields that in sets to their zero
// value and back, in after a trip through the store's object, leaves
// unset: those the object cannot hold, sorted, each named by in's message
// and its path there ("pomerium.dashboard.Route:allow_websockets"). It is
// never nil: a writer of this API always states which fields it set, so
// that one it leaves out is cleared (manage's keepExplicit).
func ExplicitZeroes(in, back proto.Message) []string {
	out := []string{}
	walkExplicit(in.ProtoReflect(), back.ProtoReflect(), "", &out)
	prefix := messageOf(in)
	for i, p := range out {
		out[i] = prefix + p
	}
	slices.Sort(out)
	return out
}

// messageOf is how explicit fields of a message begin.
func messageOf(m proto.Message) string {
	return string(m.ProtoReflect().Descriptor().FullName()) + ":"
}

func walkExplicit(in, back protoreflect.Message, path string, out *[]string) {
	in.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := joinPath(path, string(fd.Name()))
		switch {
		case fd.HasOptionalKeyword():
			if v.Equal(fd.Default()) && !back.Has(fd) {
				*out = append(*out, p)
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			walkExplicit(v.Message(), back.Get(fd).Message(), p, out)
		}
		return true
	})
}

// RestoreExplicit sets the explicit fields of m's message to their zero
// value where they are unset; those of other messages are another API's.
// A path that no longer leads to an optional field, or whose messages on
// the way are not there (a writer that cannot express the field removed
// them), is passed over: the store's object has changed under it, and
// what it holds wins.
func RestoreExplicit(m proto.Message, explicit []string) {
	prefix := messageOf(m)
	for _, e := range explicit {
		p, ours := strings.CutPrefix(e, prefix)
		if !ours {
			continue
		}
		r := m.ProtoReflect()
		names := strings.Split(p, ".")
		for i, name := range names {
			fd := r.Descriptor().Fields().ByName(protoreflect.Name(name))
			if fd == nil || fd.IsList() || fd.IsMap() {
				break
			}
			if i == len(names)-1 {
				if fd.HasOptionalKeyword() && !r.Has(fd) {
					r.Set(fd, fd.Default())
				}
				break
			}
			if fd.Message() == nil || !r.Has(fd) {
				break
			}
			r = r.Mutable(fd).Message()
		}
	}
}

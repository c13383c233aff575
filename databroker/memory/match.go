package memory

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// matchQuery reports whether any string field of the data, at any depth,
// contains query (already lower-cased), ignoring case. Data of a type this
// binary does not link never matches, as in Pomerium, which decodes with
// its own registry.
func matchQuery(data *anypb.Any, query string) bool {
	if data == nil {
		return false
	}
	msg, err := data.UnmarshalNew()
	if err != nil {
		return false
	}
	return matchMessage(msg.ProtoReflect(), query)
}

func matchMessage(m protoreflect.Message, query string) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = matchSingular(fd.Kind(), l.Get(i), query)
			}
		case fd.IsMap():
			// Pomerium matches map values with the map field's own kind,
			// which panics on scalar values; the value's kind is used here.
			kind := fd.MapValue().Kind()
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = matchSingular(kind, mv, query)
				return !found
			})
		default:
			found = matchSingular(fd.Kind(), v, query)
		}
		return !found
	})
	return found
}

func matchSingular(kind protoreflect.Kind, v protoreflect.Value, query string) bool {
	switch kind {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return matchMessage(v.Message(), query)
	case protoreflect.StringKind:
		return strings.Contains(strings.ToLower(v.String()), query)
	}
	return false
}

// indexedValue returns the value Pomerium's index keeps for a record under
// a dotted path of proto field names (map keys may be path elements): the
// string there, if it is a non-empty string.
func indexedValue(data *anypb.Any, path string) (string, bool) {
	msg, err := data.UnmarshalNew()
	if err != nil {
		return "", false
	}
	m := msg.ProtoReflect()
	parts := strings.Split(path, ".")
	for i := 0; i < len(parts); i++ {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(parts[i]))
		if fd == nil || !m.Has(fd) || fd.IsList() {
			return "", false
		}
		v, kind := m.Get(fd), fd.Kind()
		if fd.IsMap() {
			i++
			if i == len(parts) || fd.MapKey().Kind() != protoreflect.StringKind {
				return "", false
			}
			mv := v.Map().Get(protoreflect.ValueOfString(parts[i]).MapKey())
			if !mv.IsValid() {
				return "", false
			}
			v, kind = mv, fd.MapValue().Kind()
		}
		if i == len(parts)-1 {
			s, ok := v.Interface().(string)
			return s, ok && kind == protoreflect.StringKind && s != ""
		}
		if kind != protoreflect.MessageKind {
			return "", false
		}
		m = v.Message()
	}
	return "", false
}

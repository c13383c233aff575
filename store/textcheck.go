package store

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// invalidUTF8Path returns the path, below prefix, of the first string of m
// (its fields, list elements, map keys and values, nested messages) that is
// not valid UTF-8, or "" when every string is. Protobuf refuses to encode
// such a string in a proto3 message, so a spec holding one could be stored
// but never written as a record, nor read back through the API; the store
// refuses it with the field named instead.
func invalidUTF8Path(prefix string, m protoreflect.Message) string {
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		found = invalidUTF8Value(prefix+"."+string(fd.Name()), fd, v)
		return found == ""
	})
	return found
}

func invalidUTF8Value(path string, fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.IsList():
		l := v.List()
		for i := range l.Len() {
			if p := invalidUTF8Scalar(path+"["+strconv.Itoa(i)+"]", fd, l.Get(i)); p != "" {
				return p
			}
		}
	case fd.IsMap():
		var found string
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			if s, ok := k.Interface().(string); ok && !utf8.ValidString(s) {
				found = fmt.Sprintf("%s (a key)", path)
				return false
			}
			found = invalidUTF8Scalar(fmt.Sprintf("%s[%s]", path, quoteKey(k)), fd.MapValue(), mv)
			return found == ""
		})
		return found
	default:
		return invalidUTF8Scalar(path, fd, v)
	}
	return ""
}

func invalidUTF8Scalar(path string, fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if !utf8.ValidString(v.String()) {
			return path
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return invalidUTF8Path(path, v.Message())
	}
	return ""
}

// quoteKey writes a map key for a path; a string key is quoted so that the
// path stays readable whatever the key holds.
func quoteKey(k protoreflect.MapKey) string {
	if s, ok := k.Interface().(string); ok {
		return strconv.QuoteToASCII(s)
	}
	return k.String()
}

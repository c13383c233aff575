package store

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// KeyPairRefs returns the ids of the key pairs a route or settings spec
// references: every field named *_key_pair_id or *_key_pair_ids, at any
// depth, sorted and without repeats.
func KeyPairRefs(spec proto.Message) []string {
	if spec == nil {
		return nil
	}
	var ids []string
	collectKeyPairRefs(spec.ProtoReflect(), &ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

func collectKeyPairRefs(m protoreflect.Message, ids *[]string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		isRef := strings.HasSuffix(name, "_key_pair_id") || strings.HasSuffix(name, "_key_pair_ids")
		switch {
		case isRef && fd.Kind() == protoreflect.StringKind && fd.IsList():
			for i := range v.List().Len() {
				if id := v.List().Get(i).String(); id != "" {
					*ids = append(*ids, id)
				}
			}
		case isRef && fd.Kind() == protoreflect.StringKind && !fd.IsMap():
			if id := v.String(); id != "" {
				*ids = append(*ids, id)
			}
		case fd.IsMap() || fd.Message() == nil:
		case fd.IsList():
			for i := range v.List().Len() {
				collectKeyPairRefs(v.List().Get(i).Message(), ids)
			}
		default:
			collectKeyPairRefs(v.Message(), ids)
		}
		return true
	})
}

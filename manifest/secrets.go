package manifest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/store"
)

// A secret is named by its path in a spec, as store.Redact names it:
// "idp_client_secret", "mcp.server.upstream_oauth2.client_secret",
// "certificates[0].key_bytes".

// step is one field of a path, with the list index or map key after it.
type step struct {
	name string
	key  string
	// keyed says the field is followed by [key].
	keyed bool
}

func parseSecretPath(path string) ([]step, error) {
	var steps []step
	for rest := path; rest != ""; {
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			end = len(rest)
		}
		st := step{name: rest[:end]}
		rest = rest[end:]
		if strings.HasPrefix(rest, "[") {
			close := strings.IndexByte(rest, ']')
			if close < 0 {
				return nil, fmt.Errorf("%q: [ without ]", path)
			}
			st.key, st.keyed, rest = rest[1:close], true, rest[close+1:]
		}
		rest = strings.TrimPrefix(rest, ".")
		if st.name == "" {
			return nil, fmt.Errorf("%q is not a field path", path)
		}
		steps = append(steps, st)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%q is not a field path", path)
	}
	return steps, nil
}

// secretField finds the field a path names in m: the message that holds
// it and its descriptor. With create, messages on the way that are unset
// are made; list elements and map entries are never made.
func secretField(m protoreflect.Message, path string, create bool) (protoreflect.Message, protoreflect.FieldDescriptor, error) {
	steps, err := parseSecretPath(path)
	if err != nil {
		return nil, nil, err
	}
	for i, st := range steps {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(st.name))
		if fd == nil {
			return nil, nil, fmt.Errorf("%q: %s has no field %s", path, m.Descriptor().Name(), st.name)
		}
		if i == len(steps)-1 && !st.keyed {
			return m, fd, nil
		}
		if next := element(m, fd, st, create); next != nil {
			m = next
			continue
		}
		return nil, nil, fmt.Errorf("%q: the spec has no %s", path, strings.Join(pathNames(steps[:i+1]), "."))
	}
	return nil, nil, fmt.Errorf("%q names a list element or map entry, not a field", path)
}

// element is the message a step leads to in m, nil when there is none.
func element(m protoreflect.Message, fd protoreflect.FieldDescriptor, st step, create bool) protoreflect.Message {
	switch {
	case fd.Message() == nil:
		return nil
	case fd.IsList() && st.keyed:
		i, err := strconv.Atoi(st.key)
		if err != nil || i < 0 || i >= m.Get(fd).List().Len() {
			return nil
		}
		return m.Mutable(fd).List().Get(i).Message()
	case fd.IsMap() && st.keyed && fd.MapKey().Kind() == protoreflect.StringKind && fd.MapValue().Message() != nil:
		k := protoreflect.ValueOfString(st.key).MapKey()
		if !m.Get(fd).Map().Has(k) {
			return nil
		}
		return m.Mutable(fd).Map().Mutable(k).Message()
	case fd.IsList() || fd.IsMap() || st.keyed:
		return nil
	case !m.Has(fd) && !create:
		return nil
	}
	return m.Mutable(fd).Message()
}

func pathNames(steps []step) []string {
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.name
		if st.keyed {
			out[i] += "[" + st.key + "]"
		}
	}
	return out
}

// keepSecrets copies into the spec of obj, at each path, what the spec of
// stored holds there, with the explicit fields of stored that name them:
// what a document that omitted them asks for.
func keepSecrets(obj, stored store.Object, paths []string) error {
	dst, src := specOf(obj), specOf(stored)
	if dst == nil || src == nil {
		return fmt.Errorf("%ss have no secrets to keep", obj.Kind())
	}
	for _, p := range paths {
		from, fd, err := secretField(src.ProtoReflect(), p, false)
		if err != nil {
			// The store no longer holds it (it was cleared meanwhile): keep
			// nothing.
			continue
		}
		if !store.IsSecret(fd) {
			return fmt.Errorf("%q is not a secret", p)
		}
		to, _, err := secretField(dst.ProtoReflect(), p, true)
		if err != nil {
			return err
		}
		if from.Has(fd) {
			to.Set(fd, from.Get(fd))
		}
	}
	explicit := store.ExplicitOf(obj)
	for _, e := range *store.ExplicitOf(stored) {
		if _, field, _ := strings.Cut(e, ":"); slices.Contains(paths, field) && !slices.Contains(*explicit, e) {
			*explicit = append(*explicit, e)
		}
	}
	return nil
}

// changedSecrets names the secrets of a route or settings whose value
// differs between before and after: a diff shows that they change, never
// their values.
func changedSecrets(before, after store.Object) []string {
	a, b := specOf(before), specOf(after)
	if a == nil || b == nil {
		return nil
	}
	paths := append(store.RedactSecrets(proto.Clone(a)), store.RedactSecrets(proto.Clone(b))...)
	slices.Sort(paths)
	var out []string
	for _, p := range slices.Compact(paths) {
		if !slices.Equal(secretValue(a, p), secretValue(b, p)) {
			out = append(out, p)
		}
	}
	return out
}

// secretValue is the value at a secret path, in a form to compare.
func secretValue(m proto.Message, path string) []byte {
	holder, fd, err := secretField(m.ProtoReflect(), path, false)
	if err != nil || !holder.Has(fd) {
		return nil
	}
	v := holder.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return append([]byte("s"), v.String()...)
	case protoreflect.BytesKind:
		return append([]byte("b"), v.Bytes()...)
	}
	// Messages and lists: their wire form.
	c := holder.New()
	c.Set(fd, v)
	out, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c.Interface()) // a message built from a valid one marshals
	return append([]byte("m"), out...)
}

// specOf is the spec of a route or the settings, nil for other kinds.
func specOf(obj store.Object) proto.Message {
	switch o := obj.(type) {
	case *store.Route:
		return o.Spec
	case *store.Settings:
		return o.Spec
	}
	return nil
}

package manifest

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/store"
)

// names finds the policies and key pairs that references name, and names
// them back.
type names struct {
	t      *tree
	byID   map[string]named
	byName map[named]string
}

// named is an object by kind, namespace (an id in byID's values, a path in
// byName's keys) and name.
type named struct {
	kind     store.Kind
	ns, name string
}

func newNames(t *tree) *names {
	return &names{t: t, byID: map[string]named{}, byName: map[named]string{}}
}

// add records an object that references may name.
func (n *names) add(obj store.Object) {
	m := obj.GetObjectMeta()
	n.byID[m.ID] = named{obj.Kind(), m.NamespaceID, m.Name}
	n.byName[named{obj.Kind(), n.t.path(m.NamespaceID), m.Name}] = m.ID
}

// ref names the object id for a referrer in namespace from: by its name
// when it is in the same namespace, else by its path. An id that names
// nothing stays as it is.
func (n *names) ref(id, from string) string {
	o, ok := n.byID[id]
	switch {
	case !ok:
		return id
	case o.ns == from:
		return segment(o.name)
	}
	return joinPath(n.t.path(o.ns), o.name)
}

// resolve returns the id of the object of kind a reference names for a
// referrer in the namespace at path from: a name there, a path, or an id.
func (n *names) resolve(kind store.Kind, ref, from string) (string, error) {
	names, err := splitPath(ref)
	if err != nil {
		return "", err
	}
	ns, name := from, names[len(names)-1]
	if len(names) > 1 {
		ns = joinNames(names[:len(names)-1])
	}
	if id, ok := n.byName[named{kind, ns, name}]; ok {
		return id, nil
	}
	if o, ok := n.byID[ref]; ok && o.kind == kind {
		return ref, nil
	}
	return "", fmt.Errorf("%q: there is no %s named %q in %s", ref, strings.ReplaceAll(string(kind), "_", " "), name, ns)
}

// isKeyPairRef reports whether a field of a route or settings spec holds
// key pair ids, as store.KeyPairRefs reads them.
func isKeyPairRef(fd protoreflect.FieldDescriptor) bool {
	name := string(fd.Name())
	return fd.Kind() == protoreflect.StringKind && !fd.IsMap() &&
		(strings.HasSuffix(name, "_key_pair_id") || strings.HasSuffix(name, "_key_pair_ids"))
}

// mapKeyPairRefs replaces every key pair id (or reference) in m with what
// fn returns for it, at any depth; the first error stops it, naming the
// field.
func mapKeyPairRefs(m protoreflect.Message, path string, fn func(string) (string, error)) error {
	// The fields are listed first: a message must not change while Range
	// walks it.
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	for _, fd := range fields {
		p := string(fd.Name())
		if path != "" {
			p = path + "." + p
		}
		if err := mapField(m, fd, p, fn); err != nil {
			return err
		}
	}
	return nil
}

func mapField(m protoreflect.Message, fd protoreflect.FieldDescriptor, p string, fn func(string) (string, error)) error {
	v := m.Get(fd)
	switch {
	case isKeyPairRef(fd) && fd.IsList():
		l := m.Mutable(fd).List()
		for i := range l.Len() {
			s, err := fn(l.Get(i).String())
			if err != nil {
				return fmt.Errorf("%s[%d]: %w", p, i, err)
			}
			l.Set(i, protoreflect.ValueOfString(s))
		}
	case isKeyPairRef(fd):
		s, err := fn(v.String())
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		m.Set(fd, protoreflect.ValueOfString(s))
	case fd.IsMap() || fd.Message() == nil:
	case fd.IsList():
		for i := range v.List().Len() {
			if err := mapKeyPairRefs(v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", p, i), fn); err != nil {
				return err
			}
		}
	default:
		return mapKeyPairRefs(m.Mutable(fd).Message(), p, fn)
	}
	return nil
}

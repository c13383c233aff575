package store

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The secret fields of route and settings specs (secretFields, at any
// depth) are sealed at rest inside the object's data, not in the row's
// secret column: the store hands them to every read, the compiler's
// included, and the use cases hide them from callers who may not see
// them. SealData writes the spec without them, as RedactSecrets leaves it,
// and after it, under sealedField, one ciphertext of a message of the
// spec's type that holds only them, at the paths they have in the spec (a
// list of messages keeps its length, a map its keys, so that each secret
// finds its place again). OpenData puts them back. The ciphertext is bound
// to the row by its kind and id (specAD), as the other sealed secrets are.

// sealedField is the field number under which the data of a route or
// settings object keeps its sealed secrets, after the spec's own fields
// and its explicit fields; TestSealedFieldIsFree holds the spec messages
// to leaving it free.
const sealedField protowire.Number = 1001

// SealedVersion says which secrets of route and settings data the store
// seals: 1, every field secretFields names. A store whose rows were
// written under a lower version (0: by a console that kept them in plain
// text) seals them again when it opens (ResealData); a field added to
// secretFields raises it, so that rows holding it in plain text are
// sealed too.
const SealedVersion = 1

// specAD is the associated data of the sealed secrets of a route or
// settings object: apart from SecretAD, so that neither ciphertext opens
// in the other's place.
func specAD(k Kind, id string) string { return SecretAD(k, id) + "#spec" }

// SealData encodes the kind-specific fields of obj as EncodeData does, but
// with the secrets of a route or settings spec sealed with s for the row
// of obj's kind and id, which must be set.
func SealData(s *Sealer, obj Object) ([]byte, error) {
	spec, explicit := specOf(obj)
	if spec == nil {
		return EncodeData(obj)
	}
	redacted := proto.Clone(spec)
	var paths []string
	redact(redacted.ProtoReflect(), "", &paths)
	data, err := encodeSpec(redacted, explicit)
	if err != nil || len(paths) == 0 {
		return data, err
	}
	secrets := proto.Clone(spec)
	keepSecrets(secrets.ProtoReflect())
	plain, err := proto.MarshalOptions{Deterministic: true}.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("encode the secrets of %s %s: %w", obj.Kind(), obj.GetObjectMeta().ID, err)
	}
	data = protowire.AppendTag(data, sealedField, protowire.BytesType)
	return protowire.AppendBytes(data, s.Seal(plain, specAD(obj.Kind(), obj.GetObjectMeta().ID))), nil
}

// OpenData decodes data as DecodeData does, opening with s the secrets
// SealData sealed for the row of kind k and id. It also reads data an
// earlier console wrote, with the secrets in plain text.
func OpenData(s *Sealer, k Kind, id string, data []byte) (Object, error) {
	obj, err := OpenDataEncoded(s, k, id, data)
	if err != nil {
		return nil, err
	}
	forgetEncoding(obj)
	return obj, nil
}

// OpenDataEncoded is OpenData keeping, of a route without sealed secrets,
// its spec's encoding (Route.SpecEncoding), which holds on to data.
func OpenDataEncoded(s *Sealer, k Kind, id string, data []byte) (Object, error) {
	obj, sealed, err := decodeData(k, data)
	if err != nil || sealed == nil {
		return obj, err
	}
	spec, _ := specOf(obj)
	if spec == nil {
		return nil, fmt.Errorf("decode %s %s: sealed secrets without a spec", k, id)
	}
	opened, err := s.Open(sealed, specAD(k, id))
	if err != nil {
		return nil, fmt.Errorf("secrets of %s %s: %w", k, id, err)
	}
	secrets := spec.ProtoReflect().New()
	if err := proto.Unmarshal(opened, secrets.Interface()); err != nil {
		return nil, fmt.Errorf("decode the secrets of %s %s: %w", k, id, err)
	}
	if err := putSecrets(secrets, spec.ProtoReflect()); err != nil {
		return nil, fmt.Errorf("secrets of %s %s: %w", k, id, err)
	}
	return obj, nil
}

// ResealData returns data as SealData writes it when data holds a secret
// of a route or settings spec in plain text (resealed true), and data
// itself otherwise: a store brings rows written by an earlier console up
// to date with it.
func ResealData(s *Sealer, k Kind, id string, data []byte) (_ []byte, resealed bool, err error) {
	obj, _, err := decodeData(k, data)
	if err != nil {
		return data, false, err
	}
	if spec, _ := specOf(obj); spec == nil || !holdsSecret(spec.ProtoReflect()) {
		return data, false, nil
	}
	if obj, err = OpenData(s, k, id, data); err != nil {
		return data, false, err
	}
	obj.GetObjectMeta().ID = id
	out, err := SealData(s, obj)
	if err != nil {
		return data, false, err
	}
	return out, true, nil
}

// specOf is the spec of a route or settings object and its explicit
// fields; nil for other kinds.
func specOf(obj Object) (proto.Message, []string) {
	switch o := obj.(type) {
	case *Route:
		if o.Spec != nil {
			return o.Spec, o.Explicit
		}
	case *Settings:
		if o.Spec != nil {
			return o.Spec, o.Explicit
		}
	}
	return nil, nil
}

// holdsSecret reports whether a secret field of m is set, at any depth.
func holdsSecret(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case secretFields[fd.FullName()]:
			found = true
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && !found; i++ {
				found = holdsSecret(v.List().Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = holdsSecret(mv.Message())
				return !found
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			found = holdsSecret(v.Message())
		}
		return !found
	})
	return found
}

// keepSecrets clears every field of m that neither is a secret nor holds
// one, at any depth, and reports whether m holds a secret. A list of
// messages that holds one keeps all its items (those without a secret
// emptied), so that every secret keeps its index.
func keepSecrets(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		keep := false
		switch {
		case secretFields[fd.FullName()]:
			keep = true
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				if keepSecrets(v.List().Get(i).Message()) {
					keep = true
				}
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if keepSecrets(mv.Message()) {
					keep = true
				} else {
					v.Map().Clear(k)
				}
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			keep = keepSecrets(v.Message())
		}
		if !keep {
			m.Clear(fd)
		}
		found = found || keep
		return true
	})
	return found
}

// putSecrets sets in dst every secret that secrets (made by keepSecrets
// from the spec dst was redacted from) holds, at its path.
func putSecrets(secrets, dst protoreflect.Message) error {
	var err error
	secrets.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case secretFields[fd.FullName()]:
			dst.Set(fd, v)
		case fd.IsList() && fd.Message() != nil:
			from, to := v.List(), dst.Mutable(fd).List()
			if from.Len() != to.Len() {
				err = fmt.Errorf("%s: %d sealed items for %d in the spec", fd.FullName(), from.Len(), to.Len())
				return false
			}
			for i := range from.Len() {
				if err = putSecrets(from.Get(i).Message(), to.Get(i).Message()); err != nil {
					return false
				}
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			to := dst.Mutable(fd).Map()
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = putSecrets(mv.Message(), to.Mutable(k).Message())
				return err == nil
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			err = putSecrets(v.Message(), dst.Mutable(fd).Message())
		default:
			err = fmt.Errorf("%s: is sealed but not a secret", fd.FullName())
		}
		return err == nil
	})
	return err
}

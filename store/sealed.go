package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// sealed is implemented by the kinds that keep a secret the store seals at
// rest (a key pair's private key, a cluster's shared secret, a data
// source's headers): backends store it apart from the object's data and
// return it only to a read that asks for it with [WithSecrets].
type sealed interface {
	// secret is the secret in the form the store seals it; nil for none.
	secret() ([]byte, error)
	// keepsSecret reports whether a write of the object keeps the stored
	// secret: the object carries none to replace it with.
	keepsSecret() bool
	// setSecret puts a secret the store opened into the object.
	setSecret(plain []byte) error
	// hideSecret clears the secret, keeping only whether one is stored.
	hideSecret(has bool)
	// hasSecret reports whether a secret is stored.
	hasSecret() bool
}

// SecretOf returns the secret obj keeps sealed at rest, in the form the
// store seals it (nil: none), and whether obj is of a kind that keeps one.
func SecretOf(obj Object) (plain []byte, ok bool, err error) {
	s, ok := obj.(sealed)
	if !ok {
		return nil, false, nil
	}
	plain, err = s.secret()
	return plain, true, err
}

// KeepsSecret reports whether a write of obj keeps the secret stored for
// it: a key pair without its key, a cluster without its shared secret, a
// data source whose headers are nil.
func KeepsSecret(obj Object) bool {
	s, ok := obj.(sealed)
	return ok && s.keepsSecret()
}

// SetSecret puts a secret the store opened (nil: none) into obj.
func SetSecret(obj Object, plain []byte) error {
	if s, ok := obj.(sealed); ok {
		return s.setSecret(plain)
	}
	return nil
}

// HideSecret clears the secret of obj, keeping only whether one is stored.
func HideSecret(obj Object, has bool) {
	if s, ok := obj.(sealed); ok {
		s.hideSecret(has)
	}
}

// HasSecret reports whether obj says a secret is stored for it.
func HasSecret(obj Object) bool {
	s, ok := obj.(sealed)
	return ok && s.hasSecret()
}

func (k *KeyPair) secret() ([]byte, error) { return nonEmpty(k.PrivateKey), nil }
func (k *KeyPair) keepsSecret() bool       { return len(k.PrivateKey) == 0 }
func (k *KeyPair) setSecret(p []byte) error {
	k.PrivateKey, k.HasPrivateKey = p, len(p) > 0
	return nil
}
func (k *KeyPair) hideSecret(has bool) { k.PrivateKey, k.HasPrivateKey = nil, has }
func (k *KeyPair) hasSecret() bool     { return k.HasPrivateKey }

func (c *Cluster) secret() ([]byte, error) { return nonEmpty(c.SharedSecret), nil }
func (c *Cluster) keepsSecret() bool       { return len(c.SharedSecret) == 0 }
func (c *Cluster) setSecret(p []byte) error {
	c.SharedSecret, c.HasSharedSecret = p, len(p) > 0
	return nil
}
func (c *Cluster) hideSecret(has bool) { c.SharedSecret, c.HasSharedSecret = nil, has }
func (c *Cluster) hasSecret() bool     { return c.HasSharedSecret }

// A data source's headers are sealed as one JSON object. Their names are
// not secret: they stay in the object's data (HeaderNames), so that a
// read without secrets and the activity log can say which are set.
func (d *DataSource) secret() ([]byte, error) {
	if len(d.Headers) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(d.Headers)
	if err != nil {
		return nil, fmt.Errorf("encode the headers of data source %s: %w", d.ID, err)
	}
	return out, nil
}

func (d *DataSource) keepsSecret() bool { return d.Headers == nil }

func (d *DataSource) setSecret(p []byte) error {
	d.Headers = map[string]string{}
	if len(p) > 0 {
		if err := json.Unmarshal(p, &d.Headers); err != nil {
			return fmt.Errorf("decode the headers of data source %s: %w", d.ID, err)
		}
	}
	d.HeaderNames = slices.Sorted(maps.Keys(d.Headers))
	return nil
}

func (d *DataSource) hideSecret(bool) { d.Headers = nil }
func (d *DataSource) hasSecret() bool { return len(d.HeaderNames) > 0 }

// nonEmpty is b, or nil when it is empty.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

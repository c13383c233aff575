package config

import (
	"errors"
	"fmt"
)

// Problems lists the problems of an error Load returned, one a key: each
// is a *KeyError naming the key and where it was set. An error of another
// kind becomes a problem without a key.
func Problems(err error) []*KeyError {
	var out []*KeyError
	var walk func(error)
	walk = func(err error) {
		var ke *KeyError
		switch joined, ok := err.(interface{ Unwrap() []error }); {
		case err == nil:
		case ok:
			for _, e := range joined.Unwrap() {
				walk(e)
			}
		case errors.As(err, &ke):
			out = append(out, ke)
		default:
			out = append(out, &KeyError{Err: err})
		}
	}
	walk(err)
	return out
}

// Check returns what a configuration Load accepted lacks for a console
// that opens its store: Load leaves it out because some commands (migrate)
// do without.
func Check(c *Config) []*KeyError {
	var out []*KeyError
	if c.databaseURL != "" && c.encryptionKey == nil {
		out = append(out, &KeyError{Key: "database_encryption_key", Err: fmt.Errorf(
			"required with database_url (%s): it encrypts secrets at rest and must be the same on every replica", c.Origin("database_url"))})
	}
	return out
}

// Setting is one key of a Config as its printed forms show it (secrets
// redacted) with where it was set ("" for a default).
type Setting struct {
	Key, Value, Origin string
}

// Settings lists every key of c in the order of the key table.
func (c Config) Settings() []Setting {
	entries := c.entries()
	out := make([]Setting, len(entries))
	for i, e := range entries {
		out[i] = Setting{Key: e.key, Value: e.value, Origin: c.Origin(e.key)}
	}
	return out
}

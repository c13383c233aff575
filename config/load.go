package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Load reads the configuration from the config file at path, the
// environment and the flags, and checks it. explicit says the operator named
// the file (with --config): a missing file is then an error, while a missing
// file at the default path is an empty config. flags holds the flags added
// by RegisterFlags, of which only those set on the command line count; it
// may be nil. lookupEnv reads the environment (os.LookupEnv in production);
// nil reads none.
//
// The returned error joins every problem found, each a *KeyError where it
// concerns one key.
func Load(path string, explicit bool, flags *pflag.FlagSet, lookupEnv func(string) (string, bool)) (*Config, error) {
	file, err := fileSource(path, explicit)
	errs := []error{err}
	// Earlier sources win.
	sources := []source{flagSource(flags), envSource(lookupEnv), file}
	c := &Config{origins: map[string]string{}}
	failed := map[string]bool{}
	for _, k := range keys {
		if err := resolve(c, k, sources); err != nil {
			errs = append(errs, err)
			failed[k.name] = true
		}
	}
	errs = append(errs, checkTogether(c, failed)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// resolve stores in c the value of k that sources set, or k's default.
func resolve(c *Config, k key, sources []source) error {
	name, v, err := pick(k, sources)
	if err != nil {
		return err
	}
	if err := k.value.store(c, v); err != nil {
		return &KeyError{Key: name, Origin: v.origin, Err: err}
	}
	if v.origin != "" {
		c.origins[k.name] = v.origin
	}
	return nil
}

// pick returns the value of k from the first source that sets k or its
// _file companion, and the name it was set by.
func pick(k key, sources []source) (string, value, error) {
	for _, src := range sources {
		v, hasValue := src[k.name]
		path, hasFile := src[k.fileName()]
		switch {
		case hasValue && hasFile:
			return "", value{}, &KeyError{Key: k.name, Origin: v.origin,
				Err: fmt.Errorf("%s is set too (%s): set only one", k.fileName(), path.origin)}
		case hasFile:
			v, err := readValueFile(path)
			if err != nil {
				return "", value{}, &KeyError{Key: k.fileName(), Origin: path.origin, Err: err}
			}
			return k.fileName(), v, nil
		case hasValue:
			return k.name, v, nil
		}
	}
	return k.name, scalar(k.def, k.value.list(), ""), nil
}

// readValueFile reads the file an X_file key names. Keys read from files
// are never lists.
func readValueFile(path value) (value, error) {
	if path.text == "" {
		return value{origin: path.origin}, nil
	}
	b, err := os.ReadFile(path.text)
	if err != nil {
		// The error names the path.
		return value{}, err
	}
	return value{
		text:   strings.TrimSpace(string(b)),
		origin: fmt.Sprintf("%s, content of %s", path.origin, path.text),
	}, nil
}

// checkTogether checks the rules that span keys. Keys whose own value was
// bad are left out, so one mistake is reported once.
func checkTogether(c *Config, failed map[string]bool) []error {
	var errs []error
	if !failed["tls_cert"] && !failed["tls_key"] {
		if err := checkKeyPair(c); err != nil {
			errs = append(errs, err)
		}
	}
	if !failed["databroker_service_url"] && !failed["shared_secret"] &&
		c.DatabrokerServiceURL != "" && c.sharedSecret == nil {
		// The databroker rejects calls without a JWT signed with it.
		errs = append(errs, &KeyError{Key: "shared_secret", Err: fmt.Errorf("required when databroker_service_url is set (%s)", c.Origin("databroker_service_url"))})
	}
	return errs
}

// checkKeyPair checks that tls_cert and tls_key come together and pair;
// the problem is the key that was set (or, when both were, the key's).
func checkKeyPair(c *Config) error {
	switch {
	case c.tlsCert == nil && c.tlsKey == nil:
		return nil
	case c.tlsKey == nil:
		return &KeyError{Key: "tls_cert", Origin: c.Origin("tls_cert"), Err: errors.New("tls_cert and tls_key must be set together: tls_key is not set")}
	case c.tlsCert == nil:
		return &KeyError{Key: "tls_key", Origin: c.Origin("tls_key"), Err: errors.New("tls_cert and tls_key must be set together: tls_cert is not set")}
	}
	// The errors of X509KeyPair describe the PEM, never quote it.
	if _, err := tls.X509KeyPair(c.tlsCert, c.tlsKey); err != nil {
		return &KeyError{Key: "tls_key", Origin: c.Origin("tls_key"), Err: fmt.Errorf("tls_cert and tls_key: %w", err)}
	}
	return nil
}

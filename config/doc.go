// Package config reads the console's configuration: the keys of
// config.yaml, the same keys as upper-case environment variables
// (DATABASE_URL) and as flags (--database-url). One table of keys drives all
// three forms, so a key cannot exist in one form and not in another.
//
// A value is taken from the first of these that sets it: an explicitly set
// flag, the environment, the config file, the key's default. An empty
// environment variable counts as unset, because container runtimes and
// shells produce empty variables when they pass through ones that were never
// defined. A key X that has an X_file companion is one setting: the source
// that comes first in that order decides between them, and setting both X
// and X_file in the same source is an error. X_file names a file whose
// trimmed content is read once, at load time.
//
// Load reports every problem it finds at once, so an operator fixes a
// config file in one round. Secret values never appear in errors, in
// [Config.String] or in the log forms of a [Config]; they are reachable only
// through accessor methods, which keeps them away from reflection-based
// printers and encoders too.
//
// The package must not open network connections, touch the store or the
// databroker, or create directories: it reads the config file and the files
// named by X_file keys (and the system's trusted roots when asked for
// [Config.RootCAs]), validates what it read, and returns values for cmd/ to
// wire. Whether data_dir is writable, or whether a database answers, is
// for the code that uses them to find out.
package config

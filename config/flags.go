package config

import "github.com/spf13/pflag"

// DefaultPath is where the config file is read from unless --config names
// another one.
const DefaultPath = "/etc/pomerium-console/config.yaml"

// ConfigFlag is the flag that names the config file.
const ConfigFlag = "config"

// RegisterFlags adds --config and a flag for every key to flags. List keys
// take comma-separated values and may be repeated.
func RegisterFlags(flags *pflag.FlagSet) {
	flags.String(ConfigFlag, DefaultPath, "config file; missing is an error only when named by this flag")
	for _, k := range keys {
		if k.value.list() {
			flags.StringSlice(flagName(k.name), nil, k.help)
		} else {
			flags.String(flagName(k.name), k.def, k.help)
		}
		if k.withFile {
			flags.String(flagName(k.fileName()), "",
				"file holding "+k.name+", read at start; exclusive with --"+flagName(k.name))
		}
	}
}

// PathFromFlags returns the config file that --config names, and whether it
// was set on the command line, in the form Load takes them.
func PathFromFlags(flags *pflag.FlagSet) (path string, explicit bool) {
	f := flags.Lookup(ConfigFlag)
	if f == nil {
		return DefaultPath, false
	}
	return f.Value.String(), f.Changed
}

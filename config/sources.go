package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// value is one key as one source set it.
type value struct {
	// text is the value, trimmed; items is the value of a list key.
	text  string
	items []string
	// origin says where the value was set, for errors: "env BIND_ADDR",
	// "flag --bind-addr", "/etc/pomerium-console/config.yaml:3". It is
	// empty for a default.
	origin string
}

// source is what one place sets, by key name (_file companions included).
type source map[string]value

// scalar is the value of a key set by a single string. Lists are
// comma-separated there, because environment variables and flags carry one
// string per key.
func scalar(s string, isList bool, origin string) value {
	v := value{text: strings.TrimSpace(s), origin: origin}
	if isList {
		v.items = cleanItems(strings.Split(s, ","))
	}
	return v
}

// cleanItems trims list items and drops empty ones, so "a, b," is [a b].
func cleanItems(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isList says whether name, a key or a _file companion, takes a list.
func isList(k key, name string) bool { return name == k.name && k.value.list() }

// envSource reads the keys from the environment through lookup.
func envSource(lookup func(string) (string, bool)) source {
	src := source{}
	if lookup == nil {
		return src
	}
	for _, k := range keys {
		for _, name := range k.names() {
			s, ok := lookup(envName(name))
			if !ok || strings.TrimSpace(s) == "" {
				continue
			}
			src[name] = scalar(s, isList(k, name), "env "+envName(name))
		}
	}
	return src
}

// flagSource reads the flags of fs that were set on the command line; a
// flag left at its default must not hide the environment or the file.
func flagSource(flags *pflag.FlagSet) source {
	src := source{}
	if flags == nil {
		return src
	}
	for _, k := range keys {
		for _, name := range k.names() {
			f := flags.Lookup(flagName(name))
			if f == nil || !f.Changed {
				continue
			}
			origin := "flag --" + f.Name
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				src[name] = value{items: cleanItems(sv.GetSlice()), origin: origin}
			} else {
				src[name] = scalar(f.Value.String(), isList(k, name), origin)
			}
		}
	}
	return src
}

// fileSource reads the config file at path. A missing file is an empty
// source unless required. Problems with single keys are returned joined,
// together with the keys that were fine.
func fileSource(path string, required bool) (source, error) {
	src := source{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return src, nil
	}
	if err != nil {
		return src, &KeyError{Key: ConfigFlag, Origin: path, Err: fmt.Errorf("read config file: %w", err)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return src, &KeyError{Key: ConfigFlag, Origin: path, Err: fmt.Errorf("parse config file %s: %w", path, err)}
	}
	if len(doc.Content) == 0 {
		return src, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return src, &KeyError{Key: ConfigFlag, Origin: fmt.Sprintf("%s:%d", path, root.Line), Err: errors.New("want a mapping of keys to values")}
	}
	var errs []error
	firstLine := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		name, line := root.Content[i].Value, root.Content[i].Line
		origin := fmt.Sprintf("%s:%d", path, line)
		k, known := keysByName[name]
		if !known {
			errs = append(errs, &KeyError{Key: name, Origin: origin, Err: errors.New("unknown key")})
			continue
		}
		if first, dup := firstLine[name]; dup {
			errs = append(errs, &KeyError{Key: name, Origin: origin, Err: fmt.Errorf("already set on line %d", first)})
			continue
		}
		firstLine[name] = line
		v, set, err := nodeValue(root.Content[i+1], isList(k, name))
		if err != nil {
			errs = append(errs, &KeyError{Key: name, Origin: origin, Err: err})
			continue
		}
		if set {
			v.origin = origin
			src[name] = v
		}
	}
	return src, errors.Join(errs...)
}

// nodeValue converts the YAML value of a key. A null ("key:" with nothing
// after it) sets nothing, so an example file with blank keys behaves like
// one without them.
func nodeValue(n *yaml.Node, list bool) (v value, set bool, err error) {
	n = dealias(n)
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return value{}, false, nil
	case n.Kind == yaml.ScalarNode:
		return scalar(n.Value, list, ""), true, nil
	case n.Kind == yaml.SequenceNode && list:
		items, err := sequenceItems(n)
		return value{items: items}, true, err
	case n.Kind == yaml.SequenceNode:
		return value{}, false, errors.New("want a single value, got a list")
	default:
		return value{}, false, errors.New("want a value, got a mapping")
	}
}

func sequenceItems(n *yaml.Node) ([]string, error) {
	items := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		item = dealias(item)
		if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" {
			return nil, fmt.Errorf("list item on line %d is not a string", item.Line)
		}
		items = append(items, item.Value)
	}
	return cleanItems(items), nil
}

func dealias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

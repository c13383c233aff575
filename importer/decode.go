package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The file is read as a yaml.Node tree rather than decoded into structs so
// that every key can be checked (an unknown key is an error, not a silently
// ignored field), key order is kept for stable messages, and scalars keep the
// exact text the user wrote.

// maxMergeDepth bounds nested YAML merge keys (<<): a merge of an anchor
// that merges itself would otherwise never end.
const maxMergeDepth = 32

// pathError is an error at a key path inside a route, e.g.
// "redirect.port_redirect" or "to[1]".
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// at prefixes the path of err with key.
func at(key string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*pathError); ok {
		sep := "."
		if strings.HasPrefix(pe.path, "[") {
			sep = ""
		}
		return &pathError{path: key + sep + pe.path, err: pe.err}
	}
	return &pathError{path: key, err: err}
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < maxMergeDepth; depth++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (`key:` or `key: ~`),
// which the file's author means as "not set".
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.AliasNode || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// entry is one key of a mapping.
type entry struct {
	key   string
	value *yaml.Node
}

// mappingEntries returns the keys of a mapping in file order, with YAML merge
// keys (<<) resolved as YAML defines them: keys written in the mapping win
// over merged ones, and earlier merged mappings win over later ones.
func mappingEntries(n *yaml.Node) ([]entry, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("must be an object, got %s", describeNode(n))
	}
	return collectEntries(n, 0)
}

func collectEntries(n *yaml.Node, depth int) ([]entry, error) {
	if depth > maxMergeDepth {
		return nil, errors.New("merge keys (<<) are nested too deeply")
	}
	var out []entry
	var merged []*yaml.Node
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("keys must be strings, got %s", describeNode(k))
		}
		if k.Tag == "!!merge" {
			merged = append(merged, v)
			continue
		}
		if seen[k.Value] {
			return nil, at(k.Value, errors.New("is set twice"))
		}
		seen[k.Value] = true
		out = append(out, entry{key: k.Value, value: v})
	}
	for _, m := range merged {
		sources := []*yaml.Node{resolve(m)}
		if s := sources[0]; s != nil && s.Kind == yaml.SequenceNode {
			sources = s.Content
		}
		for _, src := range sources {
			src = resolve(src)
			if src == nil || src.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("<<: can only merge objects, got %s", describeNode(src))
			}
			inner, err := collectEntries(src, depth+1)
			if err != nil {
				return nil, err
			}
			for _, e := range inner {
				if !seen[e.key] {
					seen[e.key] = true
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

// decodeObject decodes a mapping whose keys must all be in fields. Null
// values are skipped: they mean "not set".
func decodeObject(n *yaml.Node, fields map[string]func(*yaml.Node) error) error {
	entries, err := mappingEntries(n)
	if err != nil {
		return err
	}
	for _, e := range entries {
		decode, ok := fields[e.key]
		if !ok {
			return at(e.key, errors.New("unknown key"))
		}
		if isNull(e.value) {
			continue
		}
		if err := decode(e.value); err != nil {
			return at(e.key, err)
		}
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "an object"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return "null"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unresolved alias"
}

// scalarText returns the text of a scalar. Numbers and booleans are accepted
// as their text, as Pomerium's own decoding does for string settings.
func scalarText(n *yaml.Node) (string, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fmt.Errorf("must be a string, got %s", describeNode(n))
	}
	return n.Value, nil
}

func boolean(n *yaml.Node) (bool, error) {
	n = resolve(n)
	var b bool
	if n == nil || n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, fmt.Errorf("%s is not a boolean (true or false)", describeNode(n))
	}
	return b, nil
}

func integer(n *yaml.Node, lo, hi int64) (int64, error) {
	s, err := scalarText(n)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer", describeNode(n))
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not an integer", s)
	case v < lo || v > hi:
		return 0, fmt.Errorf("%d is not between %d and %d", v, lo, hi)
	}
	return v, nil
}

func uint32Value(n *yaml.Node) (uint32, error) {
	v, err := integer(n, 0, math.MaxUint32)
	return uint32(v), err
}

func int32Value(n *yaml.Node) (int32, error) {
	v, err := integer(n, math.MinInt32, math.MaxInt32)
	return int32(v), err
}

// duration reads a Go duration such as 30s or 1m30s, the format Pomerium's
// own decoding accepts for route timeouts.
func duration(n *yaml.Node) (*durationpb.Duration, error) {
	s, err := scalarText(n)
	if err != nil {
		return nil, fmt.Errorf("%s is not a duration", describeNode(n))
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q is not a duration (write e.g. 30s, 5m or 1h30m)", s)
	case d < 0:
		return nil, fmt.Errorf("%q must not be negative", s)
	}
	return durationpb.New(d), nil
}

// stringList accepts a single string or a list of strings, as Pomerium's
// StringSlice does.
func stringList(n *yaml.Node) ([]string, error) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, nil
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("must be a string or a list of strings, got %s", describeNode(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		s, err := scalarText(item)
		if err != nil {
			return nil, at(index(i), err)
		}
		out = append(out, s)
	}
	return out, nil
}

func stringMap(n *yaml.Node) (map[string]string, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		v, err := scalarText(e.value)
		if err != nil {
			return nil, at(e.key, err)
		}
		out[e.key] = v
	}
	return out, nil
}

// enumValue looks s up in names case-insensitively.
func enumValue[T ~int32](n *yaml.Node, names map[string]T, list string) (T, error) {
	s, err := scalarText(n)
	if err != nil {
		return 0, err
	}
	v, ok := names[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("%q is not one of %s", s, list)
	}
	return v, nil
}

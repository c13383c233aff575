package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Decode reads a document in YAML or JSON. Unknown fields, repeated keys,
// keys in another letter case and another format are refused.
func Decode(data []byte) (*Document, error) {
	j, err := sigsyaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	if err := checkKeyCase(j); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a document of format %s: %w", Format, err)
	}
	switch {
	case doc.Format == "":
		return nil, fmt.Errorf("format: is missing: a document starts with format: %s", Format)
	case doc.Format != Format:
		return nil, fmt.Errorf("format: %q is not %s, the format this console reads", doc.Format, Format)
	}
	return &doc, nil
}

// Encode writes a document as "yaml" or "json". Both list the fields in
// the order of the document's types and of the specs' field numbers.
func Encode(doc *Document, format string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	switch format {
	case "json":
		enc.SetIndent("", "  ")
		err := enc.Encode(doc)
		return buf.Bytes(), err
	case "yaml", "":
	default:
		return nil, fmt.Errorf("format %q is not yaml or json", format)
	}
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return jsonToYAML(buf.Bytes())
}

// jsonToYAML rewrites JSON as block-style YAML in the same order.
func jsonToYAML(j []byte) ([]byte, error) {
	// JSON is YAML: parsed as a node tree it keeps its order, which a
	// round trip through maps would lose.
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, err
	}
	restyle(&n)
	var out bytes.Buffer
	ye := yaml.NewEncoder(&out)
	ye.SetIndent(2)
	if err := ye.Encode(&n); err != nil {
		return nil, err
	}
	return out.Bytes(), errors.Join(ye.Close())
}

// restyle turns the flow style of JSON into YAML's block style, with text
// of several lines (PEM, PPL) as literal blocks. The encoder still quotes
// the strings that need it.
func restyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.Contains(n.Value, "\n") {
		n.Style = yaml.LiteralStyle
	}
	for _, c := range n.Content {
		restyle(c)
	}
}

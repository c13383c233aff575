package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ValidatePPL reports whether Pomerium v0.33.0 can compile ppl, a policy in
// Pomerium Policy Language (YAML or JSON), into rules that mean what they
// say. Pomerium attaches a policy it cannot compile to its routes with no
// rules at all, so anything it would reject, and anything whose shape makes
// a criterion silently never match, is an error here. Errors name the place
// of the problem, e.g. `allow.and[1].email: unknown matcher "equals"`.
func ValidatePPL(ppl string) error {
	if !utf8.ValidString(ppl) {
		return errors.New("is not valid UTF-8")
	}
	doc, err := decodePPL(ppl)
	if err != nil {
		return err
	}
	return checkPolicyDocument(doc)
}

// pplErrorf reports a problem at one place of a PPL document, the path
// playing the part of the field.
func pplErrorf(path, format string, args ...any) error {
	return fieldErrorf(path, format, args...)
}

// decodePPL reads the document the way Pomerium does (YAML decoded into
// generic values, re-encoded as JSON, parsed as JSON), so that values JSON
// cannot carry fail here as they fail there.
func decodePPL(ppl string) (any, error) {
	dec := yaml.NewDecoder(strings.NewReader(ppl))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("is empty")
		}
		return nil, fmt.Errorf("is not valid YAML or JSON: %w", err)
	}
	var extra any
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fmt.Errorf("is not valid YAML or JSON: %w", err)
	case extra != nil:
		// Pomerium decodes only the first document and ignores the rest.
		return nil, errors.New("holds more than one YAML document; Pomerium would read only the first")
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("cannot be converted to JSON as Pomerium does: %w", err)
	}
	jdec := json.NewDecoder(bytes.NewReader(raw))
	jdec.UseNumber()
	var out any
	if err := jdec.Decode(&out); err != nil {
		return nil, fmt.Errorf("cannot be converted to JSON as Pomerium does: %w", err)
	}
	return out, nil
}

func checkPolicyDocument(doc any) error {
	switch v := doc.(type) {
	case map[string]any:
		return checkRule("", v)
	case []any:
		for i, item := range v {
			path := fmt.Sprintf("[%d]", i)
			rule, ok := item.(map[string]any)
			if !ok {
				return pplErrorf(path, "a rule must be an object with allow and/or deny, got %s", kindOf(item))
			}
			if err := checkRule(path, rule); err != nil {
				return err
			}
		}
		return nil
	}
	return pplErrorf("", "must be a rule (an object with allow and/or deny) or a list of rules, got %s", kindOf(doc))
}

func checkRule(path string, rule map[string]any) error {
	for _, action := range sortedKeys(rule) {
		at := joinPath(path, action)
		if action != "allow" && action != "deny" {
			return pplErrorf(path, "unknown action %q: only allow and deny exist", action)
		}
		body, ok := rule[action].(map[string]any)
		if !ok {
			return pplErrorf(at, "must be an object of and, or, not, nor, got %s", kindOf(rule[action]))
		}
		if err := checkRuleBody(at, body); err != nil {
			return err
		}
	}
	return nil
}

func checkRuleBody(path string, body map[string]any) error {
	for _, op := range sortedKeys(body) {
		if !isOperator(op) {
			return pplErrorf(path, "unknown operator %q: only and, or, not, nor exist", op)
		}
		if err := checkCriteria(joinPath(path, op), body[op]); err != nil {
			return err
		}
	}
	return nil
}

func checkCriteria(path string, v any) error {
	list, ok := v.([]any)
	if !ok {
		return pplErrorf(path, "must be a list of criteria, got %s", kindOf(v))
	}
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := item.(map[string]any)
		if !ok {
			return pplErrorf(at, "a criterion must be an object with one key, got %s", kindOf(item))
		}
		if len(obj) != 1 {
			return pplErrorf(at, "a criterion must have exactly one key, got %d (%s)", len(obj), strings.Join(sortedKeys(obj), ", "))
		}
		for key, value := range obj {
			if err := checkCriterion(at, key, value); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkCriterion(path, key string, value any) error {
	name, subPath, hasSubPath := strings.Cut(key, "/")
	if isOperator(name) {
		// Pomerium v0.33.0 parses a nested operator as a criterion named
		// "and" etc., which does not exist, and drops the whole policy.
		return pplErrorf(path, "operators cannot be nested: %q is not a criterion", name)
	}
	spec, ok := criteria[name]
	if !ok {
		return pplErrorf(path, "unknown criterion %q", name)
	}
	switch {
	case spec.subPath && (!hasSubPath || subPath == ""):
		return pplErrorf(path, "%s needs a name after a slash, e.g. %s/department", name, name)
	case !spec.subPath && hasSubPath:
		return pplErrorf(path, "%s takes no sub-path (%q)", name, subPath)
	}
	return spec.check(joinPath(path, key), value)
}

func isOperator(s string) bool {
	switch s {
	case "and", "or", "not", "nor":
		return true
	}
	return false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// kindOf names the JSON type of a decoded value for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

package importer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxPlainNodes and maxPlainDepth bound a value copied out of the file:
// YAML aliases can make a small file expand into a huge tree, or into an
// endless one when an alias refers to a value that contains it.
const (
	maxPlainNodes = 100_000
	maxPlainDepth = 100
)

// access is what a route says about who may use it: an inline PPL policy
// and the access settings that predate PPL.
type access struct {
	policy                 *yaml.Node
	users, domains, groups []string
	claims                 []claim
	public, anyUser        bool
}

// claim is one entry of allowed_idp_claims.
type claim struct {
	name   string
	values []string
}

func (a *access) hasLegacy() bool {
	return len(a.users)+len(a.domains)+len(a.groups)+len(a.claims) > 0 || a.public || a.anyUser
}

// check refuses the combinations Pomerium refuses (config.Policy.Validate),
// which would otherwise turn into a policy that means something Pomerium
// never allowed.
func (a *access) check() error {
	lists := len(a.users) > 0 || len(a.domains) > 0
	switch {
	case a.public && (a.anyUser || lists):
		return at("allow_public_unauthenticated_access", errors.New(
			"cannot be combined with allow_any_authenticated_user, allowed_users or allowed_domains (Pomerium refuses such a route)"))
	case a.anyUser && lists:
		return at("allow_any_authenticated_user", errors.New(
			"cannot be combined with allowed_users or allowed_domains (Pomerium refuses such a route)"))
	}
	return nil
}

// ppl returns the route's access rules as one PPL document, or "" when the
// route says nothing about access. The legacy settings become one allow rule
// with an `or` of the criteria Pomerium itself generates for them
// (config.Policy.ToPPL), followed by the rules of the inline policy, as
// Pomerium combines them.
func (a *access) ppl() (string, error) {
	var rules []*yaml.Node
	if a.hasLegacy() {
		rules = append(rules, mapNode(strNode("allow"), mapNode(strNode("or"), seqNode(a.criteria()...))))
	}
	if !isNull(a.policy) {
		p, err := plainNode(a.policy)
		if err != nil {
			return "", at("policy", err)
		}
		switch p.Kind {
		case yaml.MappingNode:
			rules = append(rules, p)
		case yaml.SequenceNode:
			rules = append(rules, p.Content...)
		default:
			return "", at("policy", fmt.Errorf("must be a PPL rule (an object with allow and/or deny) or a list of rules, got %s", describeNode(p)))
		}
	}
	switch len(rules) {
	case 0:
		return "", nil
	case 1:
		return encodeYAML(rules[0])
	}
	return encodeYAML(seqNode(rules...))
}

func (a *access) criteria() []*yaml.Node {
	var out []*yaml.Node
	if a.public {
		out = append(out, criterion("accept", boolNode(true)))
	}
	if a.anyUser {
		out = append(out, criterion("authenticated_user", boolNode(true)))
	}
	for _, d := range a.domains {
		out = append(out, criterion("domain", mapNode(strNode("is"), strNode(d))))
	}
	for _, g := range a.groups {
		out = append(out, criterion("groups", mapNode(strNode("has"), strNode(g))))
	}
	for _, c := range a.claims {
		for _, v := range c.values {
			out = append(out, criterion("claim/"+c.name, strNode(v)))
		}
	}
	// An allowed user may be given by id or by email; Pomerium matches both.
	for _, u := range a.users {
		out = append(out,
			criterion("user", mapNode(strNode("is"), strNode(u))),
			criterion("email", mapNode(strNode("is"), strNode(u))))
	}
	return out
}

// idpClaims reads allowed_idp_claims: claim names mapped to a value or a
// list of values, sorted by name as Pomerium sorts them.
func idpClaims(n *yaml.Node) ([]claim, error) {
	entries, err := mappingEntries(n)
	if err != nil {
		return nil, err
	}
	out := make([]claim, 0, len(entries))
	for _, e := range entries {
		if e.key == "" || strings.Contains(e.key, "/") {
			return nil, at(e.key, errors.New("is not a claim name"))
		}
		items := []*yaml.Node{e.value}
		if v := resolve(e.value); v != nil && v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		c := claim{name: e.key}
		for i, item := range items {
			v, err := claimValue(item)
			if err != nil {
				if len(items) > 1 || resolve(item) != resolve(e.value) {
					err = at(index(i), err)
				}
				return nil, at(e.key, err)
			}
			c.values = append(c.values, v)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b claim) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// claimValue accepts only strings: a PPL claim criterion compares strings,
// and Pomerium turns any other value into a rule that never matches, which a
// user reading `123` would not expect.
func claimValue(n *yaml.Node) (string, error) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.ScalarNode || r.Tag != "!!str" {
		return "", fmt.Errorf("%s is not a string: Pomerium compares claim values as strings, so quote it", describeNode(n))
	}
	return r.Value, nil
}

// plainNode copies a value of the file with aliases expanded, merge keys
// applied and comments and anchors dropped, so that it can be written out
// on its own.
func plainNode(n *yaml.Node) (*yaml.Node, error) {
	budget := maxPlainNodes
	return copyPlain(n, &budget, 0)
}

func copyPlain(n *yaml.Node, budget *int, depth int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, errors.New("is too large (its aliases expand to too many values)")
	}
	if depth > maxPlainDepth {
		return nil, errors.New("is nested too deeply (or refers to itself through an alias)")
	}
	n = resolve(n)
	switch {
	case n == nil || n.Kind == yaml.AliasNode:
		return nil, errors.New("holds an alias that cannot be resolved")
	case n.Kind == yaml.ScalarNode:
		const kept = yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: n.Tag, Value: n.Value, Style: n.Style & kept}, nil
	case n.Kind == yaml.SequenceNode:
		out := seqNode()
		for i, item := range n.Content {
			c, err := copyPlain(item, budget, depth+1)
			if err != nil {
				return nil, at(index(i), err)
			}
			out.Content = append(out.Content, c)
		}
		return out, nil
	case n.Kind == yaml.MappingNode:
		entries, err := mappingEntries(n)
		if err != nil {
			return nil, err
		}
		out := mapNode()
		for _, e := range entries {
			c, err := copyPlain(e.value, budget, depth+1)
			if err != nil {
				return nil, at(e.key, err)
			}
			out.Content = append(out.Content, strNode(e.key), c)
		}
		return out, nil
	}
	return nil, fmt.Errorf("holds an unexpected YAML node kind %d", n.Kind)
}

func encodeYAML(n *yaml.Node) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	return buf.String(), nil
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

func mapNode(content ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: content}
}

func seqNode(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func criterion(name string, value *yaml.Node) *yaml.Node {
	return mapNode(strNode(name), value)
}

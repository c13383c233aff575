package policies

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// valueKind is what a criterion of the builder takes as its value.
type valueKind int

const (
	// valueNone: the criterion takes no value (written "accept: true").
	valueNone valueKind = iota
	// valueString: a string matcher ({is: x}, {starts_with: x}, ...).
	valueString
	// valueList: a string-list matcher ({has: x}, {is: x}, {exclude: x}).
	valueList
	// valuePlain: a plain string (an IP or CIDR range, a claim name).
	valuePlain
	// valueDevice: one of the device criterion's operators ({approved:
	// true|false}, {is: credential id}, {type: device type id}).
	valueDevice
)

// criterion is one PPL criterion the builder offers. The builder offers
// the criteria whose value fits in one text field; the others
// (client_certificate, ssh_publickey, ssh_ca) are written in the YAML
// directly.
type criterion struct {
	Name, Label string
	kind        valueKind
	// subPath: written NAME/SUBPATH, the sub-path from the row's claim name.
	subPath bool
}

var criteria = []criterion{
	{Name: "email", Label: "email", kind: valueString},
	{Name: "domain", Label: "domain (of the email)", kind: valueString},
	{Name: "groups", Label: "groups (group ids)", kind: valueList},
	{Name: "claim", Label: "claim/… (claim name in its own field)", kind: valueList, subPath: true},
	{Name: "user", Label: "user (user id)", kind: valueString},
	{Name: "authenticated_user", Label: "authenticated_user (any signed-in user)", kind: valueNone},
	{Name: "accept", Label: "accept (everyone)", kind: valueNone},
	{Name: "reject", Label: "reject (no one)", kind: valueNone},
	{Name: "http_method", Label: "http_method", kind: valueString},
	{Name: "http_path", Label: "http_path", kind: valueString},
	{Name: "source_ip", Label: "source_ip (IP address or CIDR range)", kind: valuePlain},
	{Name: "cors_preflight", Label: "cors_preflight (CORS preflight requests)", kind: valueNone},
	{Name: "invalid_client_certificate", Label: "invalid_client_certificate", kind: valueNone},
	{Name: "device", Label: "device (approved: true or false; is: credential id; type: device type id)", kind: valueDevice},
	{Name: "mcp_tool", Label: "mcp_tool", kind: valueString},
	{Name: "ssh_username", Label: "ssh_username", kind: valueString},
	{Name: "ssh_username_matches_email", Label: "ssh_username_matches_email", kind: valueNone},
	{Name: "ssh_username_matches_claim", Label: "ssh_username_matches_claim (claim name as value)", kind: valuePlain},
}

func criterionNamed(name string) (criterion, bool) {
	i := slices.IndexFunc(criteria, func(c criterion) bool { return c.Name == name })
	if i < 0 {
		return criterion{}, false
	}
	return criteria[i], true
}

// The matchers of PPL per kind of value; the builder's select offers them
// all and refuses those that do not apply to the row's criterion.
var (
	stringMatchers = []string{"is", "starts_with", "ends_with", "contains", "not"}
	listMatchers   = []string{"has", "is", "exclude"}
	// deviceMatchers are the device criterion's operators: approved takes
	// true or false, is a device credential id, type a device type id.
	deviceMatchers = []string{"approved", "is", "type"}
	matchers       = []string{"is", "starts_with", "ends_with", "contains", "not", "has", "exclude", "approved", "type"}
	// operators are in the order the builder writes them.
	operators = []string{"and", "or", "not"}
	actions   = []string{"allow", "deny"}
)

// row is one criterion of the builder as the form carries it.
type row struct {
	Op, Criterion, Claim, Matcher, Value string
	// Err says why the row cannot be written as PPL.
	Err string
}

// builder is the builder's form: one rule, its action and its criteria.
type builder struct {
	Action string
	Rows   []row
	// Err is about the builder as a whole (no criteria).
	Err string
	// Note says why the builder does not show the current PPL.
	Note string
}

// emptyRow is what "Add criterion" adds.
func emptyRow() row { return row{Op: "and", Criterion: "email", Matcher: "is"} }

func newBuilder() *builder { return &builder{Action: "allow", Rows: []row{emptyRow()}} }

// builderFrom reads the builder's fields of a form: the rows come as
// parallel lists, one entry per row in each.
func builderFrom(form url.Values) *builder {
	b := &builder{Action: form.Get("b_action")}
	ops, crits, claims, ms, vals := form["b_op"], form["b_crit"], form["b_claim"], form["b_match"], form["b_value"]
	at := func(list []string, i int) string {
		if i < len(list) {
			return strings.TrimSpace(list[i])
		}
		return ""
	}
	for i := range crits {
		b.Rows = append(b.Rows, row{Op: at(ops, i), Criterion: at(crits, i), Claim: at(claims, i), Matcher: at(ms, i), Value: at(vals, i)})
	}
	return b
}

// generate writes the rows as one PPL rule, grouped by operator in the
// order and, or, not. It returns false, with the reasons on the rows, when
// a row cannot be written.
func (b *builder) generate() (string, bool) {
	if !slices.Contains(actions, b.Action) {
		b.Err = fmt.Sprintf("the action must be allow or deny, not %q", b.Action)
		return "", false
	}
	if len(b.Rows) == 0 {
		b.Err = "add at least one criterion"
		return "", false
	}
	groups := map[string][]*yaml.Node{}
	ok := true
	for i := range b.Rows {
		item, err := b.Rows[i].node()
		if err != nil {
			b.Rows[i].Err = err.Error()
			ok = false
			continue
		}
		groups[b.Rows[i].Op] = append(groups[b.Rows[i].Op], item)
	}
	if !ok {
		return "", false
	}
	body := mapping()
	for _, op := range operators {
		if len(groups[op]) > 0 {
			body.Content = append(body.Content, str(op), &yaml.Node{Kind: yaml.SequenceNode, Content: groups[op]})
		}
	}
	doc := mapping(str(b.Action), body)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		// Encoding a tree of plain strings cannot fail; say so if it does.
		b.Err = "cannot write the PPL: " + err.Error()
		return "", false
	}
	if err := enc.Close(); err != nil {
		b.Err = "cannot write the PPL: " + err.Error()
		return "", false
	}
	return buf.String(), true
}

// node is the row as one PPL criterion: {NAME[/CLAIM]: VALUE}.
func (r *row) node() (*yaml.Node, error) {
	if !slices.Contains(operators, r.Op) {
		return nil, fmt.Errorf("the operator must be and, or or not, not %q", r.Op)
	}
	c, ok := criterionNamed(r.Criterion)
	if !ok {
		return nil, fmt.Errorf("unknown criterion %q", r.Criterion)
	}
	key := c.Name
	switch {
	case c.subPath && r.Claim == "":
		return nil, fmt.Errorf("%s needs a claim name, e.g. department", c.Name)
	case c.subPath:
		key += "/" + r.Claim
	case r.Claim != "":
		return nil, fmt.Errorf("only the claim criterion takes a claim name; clear it or choose claim")
	}
	var value *yaml.Node
	switch c.kind {
	case valueNone:
		if r.Matcher != "is" || r.Value != "" {
			return nil, fmt.Errorf("%s takes no value: choose the matcher is and leave the value empty", c.Name)
		}
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
	case valuePlain:
		if r.Matcher != "is" {
			return nil, fmt.Errorf("%s takes a plain value: choose the matcher is", c.Name)
		}
		if r.Value == "" {
			return nil, fmt.Errorf("%s needs a value", c.Name)
		}
		value = str(r.Value)
	case valueDevice:
		if !slices.Contains(deviceMatchers, r.Matcher) {
			return nil, fmt.Errorf("device takes the matchers %s, not %q", strings.Join(deviceMatchers, ", "), r.Matcher)
		}
		operand := str(r.Value)
		switch {
		case r.Matcher == "approved" && r.Value != "true" && r.Value != "false":
			return nil, fmt.Errorf("device approved takes true (an admin approved the device) or false")
		case r.Matcher == "approved":
			operand = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: r.Value}
		case r.Value == "":
			return nil, fmt.Errorf("device %s needs a value: a device %s", r.Matcher, map[string]string{"is": "credential id", "type": "type id, e.g. any"}[r.Matcher])
		}
		value = mapping(str(r.Matcher), operand)
		value.Style = yaml.FlowStyle
	case valueString, valueList:
		allowed := stringMatchers
		if c.kind == valueList {
			allowed = listMatchers
		}
		if !slices.Contains(allowed, r.Matcher) {
			return nil, fmt.Errorf("%s takes the matchers %s, not %q", c.Name, strings.Join(allowed, ", "), r.Matcher)
		}
		if r.Value == "" {
			return nil, fmt.Errorf("%s needs a value", c.Name)
		}
		value = mapping(str(r.Matcher), str(r.Value))
		value.Style = yaml.FlowStyle
	}
	return mapping(str(key), value), nil
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: kv}
}

// str is a string scalar: the encoder quotes it where YAML would read it
// as something else (true, 10, a: b).
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// builderFor shows PPL in the builder's rows when the builder could have
// written it: one rule with one action, and, or and not of criteria the
// builder offers with one matcher each. Otherwise the builder starts empty
// and says why.
func builderFor(ppl string) *builder {
	if strings.TrimSpace(ppl) == "" {
		return newBuilder()
	}
	b, ok := parseBuilder(ppl)
	if !ok {
		b = newBuilder()
		b.Note = "The builder cannot show the current PPL (it uses more than one rule, nor, or criteria or matchers the builder does not offer). Generating PPL replaces it."
	}
	return b
}

func parseBuilder(ppl string) (*builder, bool) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(ppl), &doc); err != nil || len(doc) != 1 {
		return nil, false
	}
	b := &builder{}
	var body map[string]any
	for action, v := range doc {
		m, ok := v.(map[string]any)
		if !ok || !slices.Contains(actions, action) {
			return nil, false
		}
		b.Action, body = action, m
	}
	for op := range body {
		if !slices.Contains(operators, op) {
			return nil, false
		}
	}
	for _, op := range operators {
		if _, ok := body[op]; !ok {
			continue
		}
		list, ok := body[op].([]any)
		if !ok {
			return nil, false
		}
		for _, item := range list {
			r, ok := rowFrom(op, item)
			if !ok {
				return nil, false
			}
			b.Rows = append(b.Rows, r)
		}
	}
	return b, len(b.Rows) > 0
}

// rowFrom reads one criterion ({NAME: VALUE}) into a row.
func rowFrom(op string, item any) (row, bool) {
	m, ok := item.(map[string]any)
	if !ok || len(m) != 1 {
		return row{}, false
	}
	for key, v := range m {
		name, claim, hasClaim := strings.Cut(key, "/")
		c, ok := criterionNamed(name)
		if !ok || c.subPath != hasClaim || (hasClaim && claim == "") {
			return row{}, false
		}
		r := row{Op: op, Criterion: name, Claim: claim, Matcher: "is"}
		switch c.kind {
		case valueNone:
			return r, true
		case valuePlain:
			r.Value, ok = v.(string)
			return r, ok
		case valueDevice:
			return deviceRow(r, v)
		}
		allowed, plain := stringMatchers, "is"
		if c.kind == valueList {
			allowed, plain = listMatchers, "has"
		}
		switch t := v.(type) {
		case string:
			r.Matcher, r.Value = plain, t
			return r, true
		case map[string]any:
			for matcher, operand := range t {
				s, isString := operand.(string)
				if len(t) != 1 || !isString || !slices.Contains(allowed, matcher) {
					return row{}, false
				}
				r.Matcher, r.Value = matcher, s
			}
			return r, len(t) == 1
		}
	}
	return row{}, false
}

// deviceRow reads the value of a device criterion into r: one operator,
// approved with a bool, is or type with a string.
func deviceRow(r row, v any) (row, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return row{}, false
	}
	for op, operand := range m {
		switch t := operand.(type) {
		case bool:
			r.Matcher, r.Value = op, fmt.Sprint(t)
			return r, op == "approved"
		case string:
			r.Matcher, r.Value = op, t
			return r, op == "is" || op == "type"
		}
	}
	return row{}, false
}

package hostile

import (
	"fmt"
	"strings"
)

// Slot is the part of a request an item is put in.
type Slot string

// The slots of the corpus.
const (
	// Name is the name of a namespace, policy, route or key pair.
	Name Slot = "name"
	// From is a route's from URL.
	From Slot = "from"
	// PPL is a policy's document.
	PPL Slot = "ppl"
	// Regex is a route's path regex.
	Regex Slot = "regex"
	// Certificate is a key pair's PEM certificate chain.
	Certificate Slot = "certificate"
	// Document is a whole YAML file for import or apply.
	Document Slot = "document"
	// Body is a whole request body sent to an HTTP endpoint.
	Body Slot = "body"
)

// Outcome is what an entry point must do with an item.
type Outcome int

const (
	// Refuse: the request is refused, the error naming the item's field,
	// and nothing changes.
	Refuse Outcome = iota
	// Store: the request succeeds and the value reads back equal.
	Store
)

func (o Outcome) String() string {
	if o == Store {
		return "store"
	}
	return "refuse"
}

// Item is one hostile value.
type Item struct {
	// Label names the item in test names.
	Label string
	Slot  Slot
	Want  Outcome
	// Value builds the value; some are megabytes, so they are built only
	// when a test uses them.
	Value func() string
}

// Items returns the corpus items of slot.
func Items(slot Slot) []Item {
	var out []Item
	for _, it := range corpus {
		if it.Slot == slot {
			out = append(out, it)
		}
	}
	return out
}

// All returns the whole corpus.
func All() []Item { return corpus }

// MiB is a mebibyte.
const MiB = 1 << 20

func fixed(s string) func() string { return func() string { return s } }

// repeat is s n times, built when called.
func repeat(s string, n int) func() string { return func() string { return strings.Repeat(s, n) } }

var corpus = []Item{
	// Names.
	{"name 10 MiB", Name, Refuse, repeat("a", 10*MiB)},
	{"name invalid UTF-8", Name, Refuse, fixed("caf\xe9")},
	{"name NUL", Name, Refuse, fixed("a\x00b")},
	{"name terminal escape", Name, Refuse, fixed("a\x1b[31mred")},
	{"name line break", Name, Refuse, fixed("a\nb")},
	{"name SQL", Name, Store, fixed("x'; DROP TABLE objects; --")},
	{"name template", Name, Store, fixed("{{ .Secret }} ${HOME} <%= x %>")},
	{"name HTML", Name, Store, fixed(`<script>alert("x")</script>`)},
	{"name look-alike", Name, Store, fixed("раураl")},

	// Route from URLs.
	{"from look-alike host", From, Refuse, fixed("https://аpple.example.com")},
	{"from invalid UTF-8 host", From, Refuse, fixed("https://caf\xe9.example.com")},
	{"from NUL", From, Refuse, fixed("https://a\x00.example.com")},
	{"from template host", From, Refuse, fixed("https://{{.Secret}}.example.com")},
	{"from shell host", From, Refuse, fixed("https://${HOST}.example.com")},
	{"from SQL path", From, Refuse, fixed("https://a.example.com/'; DROP TABLE objects; --")},
	{"from 10 MiB", From, Refuse, func() string { return "https://" + strings.Repeat("a", 10*MiB) + ".example.com" }},
	{"from punycode", From, Store, fixed("https://xn--pple-43d.example.com")},

	// Policies.
	{"ppl 10 MiB", PPL, Refuse, func() string { return "allow:\n  or:\n" + strings.Repeat("    - accept: true\n", 10*MiB/19+1) }},
	{"ppl invalid UTF-8", PPL, Refuse, fixed("allow:\n  or:\n    - email: {is: \"caf\xe9\"}\n")},
	{"ppl JSON 10,000 deep", PPL, Refuse, func() string { return strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) }},
	{"ppl operators 10,000 deep", PPL, Refuse, nestedOperators(10_000)},
	{"ppl alias bomb", PPL, Refuse, fixed(AliasBomb)},
	{"ppl template", PPL, Refuse, fixed("{{ .Secret }}")},
	{"ppl 10,000 domains", PPL, Store, domains(10_000)},
	{"ppl SQL in a value", PPL, Store, fixed("allow:\n  or:\n    - email: {is: \"x'; DROP TABLE objects; --@example.com\"}\n")},

	// Route regexes.
	{"regex nested repetition", Regex, Refuse, fixed("((a{1000}){1000}){1000}")},
	{"regex 2,000 deep", Regex, Refuse, func() string { return strings.Repeat("(", 2000) + "a" + strings.Repeat(")", 2000) }},
	{"regex 10 MiB", Regex, Refuse, repeat("a", 10*MiB)},
	{"regex catastrophic backtracking", Regex, Store, fixed("^/(a+)+$")},
	{"regex many alternatives", Regex, Store, func() string {
		alts := make([]string, 1000)
		for i := range alts {
			alts[i] = fmt.Sprintf("p%d", i)
		}
		return "^/(" + strings.Join(alts, "|") + ")/.*$"
	}},

	// Certificates.
	{"certificate 10 MiB", Certificate, Refuse, func() string { return ManyCertificates(10*MiB/len(SelfSigned()) + 1) }},
	{"certificate nested ASN.1", Certificate, Refuse, fixed(NestedASN1Certificate(10_000))},
	{"certificate garbage block", Certificate, Refuse, fixed("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
	{"certificate 1,000 in a bundle", Certificate, Store, func() string { return ManyCertificates(1000) }},

	// Documents for import and apply.
	{"document alias bomb", Document, Refuse, fixed(AliasBomb)},
	{"document 10,000 deep", Document, Refuse, func() string { return strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) }},
	{"document invalid UTF-8", Document, Refuse, fixed("routes:\n- from: https://caf\xe9.example.com\n  to: https://a.internal\n")},
	{"document NUL", Document, Refuse, fixed("routes:\n- from: https://a.example.com\x00\n  to: https://a.internal\n")},

	// Request bodies.
	{"body 64 MiB", Body, Refuse, repeat(" ", 64*MiB)},
	{"body JSON 10,000 deep", Body, Refuse, func() string {
		return `{"name":` + strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000) + "}"
	}},
}

// AliasBomb is a YAML "billion laughs": nine levels of nine aliases, a
// billion strings once expanded.
const AliasBomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// nestedOperators is PPL whose operators nest depth deep.
func nestedOperators(depth int) func() string {
	return func() string {
		return `{"allow":` + strings.Repeat(`{"and":[`, depth) + `{"accept":true}` + strings.Repeat("]}", depth) + "}"
	}
}

// domains is PPL allowing n domains, one criterion each.
func domains(n int) func() string {
	return func() string {
		var b strings.Builder
		b.WriteString("allow:\n or:\n")
		for i := range n {
			fmt.Fprintf(&b, " - domain: {is: d%d.io}\n", i)
		}
		return b.String()
	}
}

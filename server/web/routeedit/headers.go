package routeedit

import (
	"strings"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// rewriteArrow separates the prefix a response header rewrite matches from
// the value that replaces it.
const rewriteArrow = " => "

// headerMap reads "Name: value" lines into a map; empty unsets it. Line
// numbers in errors count blank lines, as the text box shows them.
func (p *post) headerMap(name string, cur map[string]string) map[string]string {
	if !p.changed(name) {
		return cur
	}
	out := map[string]string{}
	seen := map[string]int{}
	for i, line := range strings.Split(p.get(name), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := p.headerLine(name, i+1, line)
		if !ok || !p.unique(name, seen, k, i+1) {
			return cur
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// headerNames reads one header name per line.
func (p *post) headerNames(name string, cur []string) []string {
	if !p.changed(name) {
		return cur
	}
	var out []string
	seen := map[string]int{}
	for i, line := range strings.Split(p.get(name), "\n") {
		h := strings.TrimSpace(line)
		if h == "" {
			continue
		}
		if !validHeaderName(h) {
			p.failf(name, "line %d: %q is not a valid header name", i+1, h)
			return cur
		}
		if !p.unique(name, seen, h, i+1) {
			return cur
		}
		out = append(out, h)
	}
	return out
}

// rewrites reads response header rewrites: "Name: prefix => value" replaces
// the prefix of the header's value, "Name: value" has no prefix.
func (p *post) rewrites(name string, cur []*pb.RouteRewriteHeader) []*pb.RouteRewriteHeader {
	if !p.changed(name) {
		return cur
	}
	var out []*pb.RouteRewriteHeader
	for i, line := range strings.Split(p.get(name), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := p.headerLine(name, i+1, line)
		if !ok {
			return cur
		}
		h := &pb.RouteRewriteHeader{Header: k, Value: v}
		// The arrow is looked for in the raw line: a prefix may be empty,
		// which the trimmed value would hide.
		_, raw, _ := strings.Cut(line, ":")
		if prefix, value, found := strings.Cut(raw, strings.TrimSpace(rewriteArrow)); found {
			h.Matcher = &pb.RouteRewriteHeader_Prefix{Prefix: strings.TrimSpace(prefix)}
			h.Value = strings.TrimSpace(value)
		}
		out = append(out, h)
	}
	return out
}

// headerLine splits "Name: value".
func (p *post) headerLine(field string, n int, line string) (string, string, bool) {
	k, v, ok := strings.Cut(line, ":")
	k = strings.TrimSpace(k)
	switch {
	case !ok:
		p.failf(field, "line %d: %q is not \"Name: value\"", n, strings.TrimSpace(line))
		return "", "", false
	case !validHeaderName(k):
		p.failf(field, "line %d: %q is not a valid header name", n, k)
		return "", "", false
	}
	return k, strings.TrimSpace(v), true
}

// unique refuses a header named twice (names are case-insensitive).
func (p *post) unique(field string, seen map[string]int, h string, line int) bool {
	key := strings.ToLower(h)
	if first, dup := seen[key]; dup {
		p.failf(field, "line %d: header %s is already on line %d", line, h, first)
		return false
	}
	seen[key] = line
	return true
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return true
}

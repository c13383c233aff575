package policies

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// check is the result of checking PPL, as the editor shows it.
type check struct {
	Valid bool
	// Message is why the PPL is invalid, with its line where known.
	Message string
}

// checkPPL checks PPL with the function the use cases refuse PPL
// with, so that what the editor calls valid is what saving accepts.
func checkPPL(ppl string) *check {
	if err := compile.ValidatePPL(ppl); err != nil {
		return &check{Message: describePPLError(ppl, err.Error())}
	}
	return &check{Valid: true}
}

// validate answers the editor's check as the viewer types: a fragment
// that says whether the PPL is valid, or why not. It always answers 200,
// since htmx swaps only successful answers; the verdict is in the body.
func (s *screen) validate(w http.ResponseWriter, r *http.Request) {
	if err := ui.ParseForm(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Without htmx the editor's Check button posts the whole form to the
	// policy's own address instead, so only htmx asks here.
	s.t.Fragment(w, r, editPage, "ppl-check", ui.Page{Data: &editData{Check: checkPPL(r.PostForm.Get("ppl"))}})
}

// describePPLError makes a message of ValidatePPL precise: a problem at a
// path of the document ("allow.and[1].email: ...") gets the line of that
// path; one without a path gets the subject it lacks.
func describePPLError(ppl, msg string) string {
	head, reason, ok := strings.Cut(msg, ": ")
	if !ok || head == "" || strings.ContainsAny(head, " \t\"") {
		return "PPL: " + msg
	}
	if line := lineOf(ppl, head); line > 0 {
		return fmt.Sprintf("line %d, %s: %s", line, head, reason)
	}
	return msg
}

var indexPrefix = regexp.MustCompile(`^\[(\d+)\]`)

// lineOf finds the line of a path of ValidatePPL's messages (keys joined
// by dots, list indexes in brackets) in a YAML or JSON document; 0 when it
// cannot. Keys may themselves hold dots (claim/a.b), so a mapping matches
// the key that the rest of the path starts with.
func lineOf(ppl, path string) int {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(ppl), &doc); err != nil || len(doc.Content) == 0 {
		return 0
	}
	n, rest := doc.Content[0], path
	for rest != "" {
		rest = strings.TrimPrefix(rest, ".")
		switch n.Kind {
		case yaml.SequenceNode:
			m := indexPrefix.FindStringSubmatch(rest)
			if m == nil {
				return 0
			}
			i, err := strconv.Atoi(m[1])
			if err != nil || i >= len(n.Content) {
				return 0
			}
			n, rest = n.Content[i], rest[len(m[0]):]
		case yaml.MappingNode:
			next := -1
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[") {
					next = i
					break
				}
			}
			if next < 0 {
				return 0
			}
			key := n.Content[next]
			n, rest = n.Content[next+1], rest[len(key.Value):]
			if rest == "" {
				// The key names the place better than its value does.
				return key.Line
			}
		default:
			return 0
		}
	}
	return n.Line
}

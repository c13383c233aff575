package manifest_test

import (
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manifest"
)

func decode(t *testing.T, data []byte) *manifest.Document {
	t.Helper()
	doc, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func encodeDoc(t *testing.T, doc *manifest.Document) []byte {
	t.Helper()
	out, err := manifest.Encode(doc, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func refusals(res *manage.ApplyResult) string {
	if res == nil {
		return "no plan"
	}
	var lines []string
	for _, r := range res.Refused {
		lines = append(lines, r.Error())
	}
	return strings.Join(lines, "\n")
}

// changes lists a plan's changes as "action kind name".
func changes(res *manage.ApplyResult) []string {
	var out []string
	for _, ch := range res.Changes {
		out = append(out, string(ch.Action)+" "+string(ch.Kind)+" "+ch.Name)
	}
	return out
}

func lineDiff(a, b string) string {
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(a), B: difflib.SplitLines(b), Context: 2}) // writes to memory
	return d
}

package hostile

import (
	"testing"
	"unicode/utf8"
)

// TestItemsAreWhatTheySay: the sizes the labels promise hold, so that a
// change of a builder cannot quietly make an item harmless.
func TestItemsAreWhatTheySay(t *testing.T) {
	t.Parallel()
	labels := map[string]bool{}
	for _, it := range All() {
		if labels[it.Label] {
			t.Errorf("label %q is used twice", it.Label)
		}
		labels[it.Label] = true
	}
	for label, check := range map[string]func(string) bool{
		"name 10 MiB":              func(s string) bool { return len(s) >= 10*MiB },
		"ppl 10 MiB":               func(s string) bool { return len(s) >= 10*MiB },
		"certificate 10 MiB":       func(s string) bool { return len(s) >= 10*MiB },
		"body 64 MiB":              func(s string) bool { return len(s) >= 64*MiB },
		"name invalid UTF-8":       func(s string) bool { return !utf8.ValidString(s) },
		"ppl 10,000 domains":       func(s string) bool { return len(s) <= 256<<10 },
		"from look-alike host":     func(s string) bool { return utf8.ValidString(s) && len(s) != utf8.RuneCountInString(s) },
		"certificate nested ASN.1": func(s string) bool { return len(s) > 10_000 },
	} {
		found := false
		for _, it := range All() {
			if it.Label == label {
				found = true
				if !check(it.Value()) {
					t.Errorf("%s is not what its label says", label)
				}
			}
		}
		if !found {
			t.Errorf("no item %q", label)
		}
	}
}

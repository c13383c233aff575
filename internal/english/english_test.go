package english

import "testing"

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "route", "0 routes"},
		{1, "route", "1 route"},
		{2, "SSH binding", "2 SSH bindings"},
		{1000000, "device", "1000000 devices"},
	} {
		if got := Plural(c.n, c.noun); got != c.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

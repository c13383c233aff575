package web

import "testing"

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"/routes?namespace=abc&q=a+b": "/routes?namespace=abc&q=a+b",
		"/activity/12":                "/activity/12",
		"":                            "/",
		"routes":                      "/",
		"//evil.example":              "/",
		"/\t/evil.example":            "/",
		"/\\evil.example":             "/",
		"https://evil.example/x":      "/",
		"/%2F/evil.example":           "/",
		"/signin?next=/x":             "/",
		"/ok\x7f":                     "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

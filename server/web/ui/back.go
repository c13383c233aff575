package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// LocalPath is target if it is a path of this console (no scheme, no host,
// no control character or backslash, which browsers drop or read as a
// slash: "/\t/evil.example" and "/\\evil.example" lead elsewhere),
// normalised; "" otherwise.
func LocalPath(target string) string {
	if strings.ContainsFunc(target, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return u.RequestURI()
}

// Back is where a form of the screen at path returns to: the page of the
// screen its "back" field names, else the screen in the cluster its
// "cluster" field names, else the screen.
func Back(r *http.Request, path string) string {
	if to := LocalPath(r.PostFormValue("back")); strings.HasPrefix(to, path) {
		return to
	}
	if c := r.PostFormValue("cluster"); c != "" {
		return path + "?cluster=" + url.QueryEscape(c)
	}
	return path
}

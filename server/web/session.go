package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// Cookies. The __Host- prefix makes the browser refuse them unless they are
// Secure, for the whole host and set by it (not by a sibling subdomain).
// Browsers treat http://localhost as secure, so `make run` works without TLS.
const (
	sessionCookie = "__Host-console_session"
	csrfCookie    = "__Host-console_csrf"
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
)

func setSession(w http.ResponseWriter, token string, expires time.Time) {
	c := &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	}
	if !expires.IsZero() {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// csrf issues and checks the tokens of forms. A token is the HMAC, under a
// key kept in the store (so every replica agrees), of a random seed held in
// a cookie and of who is signed in: a token from another browser or for
// another caller does not verify.
type csrf struct{ key []byte }

// seed returns the request's CSRF seed, setting a new one when it has none.
func (c csrf) seed(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	return v
}

func (c csrf) token(seed, subject string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(seed))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// valid reports whether the request carries the token of its seed and
// subject, in the form or (htmx) in a header.
func (c csrf) valid(r *http.Request, subject string) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	want := c.token(ck.Value, subject)
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

package web

import (
	"embed"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

//go:embed signin.html
var pageFS embed.FS

type signinData struct {
	Next, CSRFToken string
	// Insecure is set when the page came over plain HTTP to a host other
	// than loopback: the browser will drop the session cookie.
	Insecure bool
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	s.renderSignin(w, r, http.StatusOK, "")
}

func (s *Server) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	seed := s.csrf.seed(w, r)
	data := signinData{
		Next: safeNext(r.FormValue("next")), CSRFToken: s.csrf.token(seed, ""),
		Insecure: r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" && !loopback(r.Host),
	}
	s.pages.Render(w, r, status, "signin.html", ui.Page{Title: "Sign in", Error: msg, Data: data})
}

// signin starts a session from a recovery token. Every attempt, whether
// the token is good or not, counts against the client's address.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	limit := s.opts.SigninLimit
	if wait := limit.Take(limit.ClientAddr(r.RemoteAddr, r.Header)); wait > 0 {
		secs := ratelimit.RetryAfter(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.renderSignin(w, r, http.StatusTooManyRequests,
			fmt.Sprintf("Too many sign-in attempts from your address: try again in %d seconds.", secs))
		return
	}
	if err := ui.ParseForm(w, r); err != nil {
		s.renderSignin(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if !s.csrf.valid(r, "") {
		s.renderSignin(w, r, http.StatusForbidden, "The form expired: sign in again.")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		s.renderSignin(w, r, http.StatusBadRequest, "token: paste the recovery token that generate-recovery-token printed")
		return
	}
	p, err := s.tokenPrincipal(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		s.renderSignin(w, r, http.StatusUnauthorized, "token: "+err.Error())
		return
	case err != nil:
		s.log.Error(err, "sign in")
		s.renderSignin(w, r, http.StatusServiceUnavailable, "Cannot check the token now; try again.")
		return
	}
	setSession(w, token, p.ExpiresAt)
	s.log.Info("signed in to the web console", "subject", p.Subject)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	clearSession(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination on this console (see
// ui.LocalPath), and off the sign-in page.
func safeNext(next string) string {
	if to := ui.LocalPath(next); to != "" && !strings.HasPrefix(to, "/signin") {
		return to
	}
	return "/"
}

func loopback(host string) bool {
	h := host
	if i := strings.LastIndex(h, ":"); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	h = strings.Trim(h, "[]")
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

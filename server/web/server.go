package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Authenticator identifies callers from request headers.
type Authenticator interface {
	Authenticate(ctx context.Context, h http.Header) (*auth.Principal, error)
}

// Store is what the web console reads of the store itself: the key of its
// CSRF tokens, and for the status page the store's version and the
// reconcilers' health. Desired state it reads and writes through the use
// cases only.
type Store interface {
	ui.HealthReader
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
}

// Options configure the web console.
type Options struct {
	// App is the use cases the screens call.
	App        *manage.App
	Store      Store
	Auth       Authenticator
	Databroker ui.Databroker
	// ActivityChain is the watch of the activity log's hash chain the
	// status page shows; nil shows none.
	ActivityChain ui.ActivityChain
	Logger        logr.Logger
	// SigninLimit limits sign-in attempts per client address; nil leaves
	// them unlimited. The API shares it, so that an address's attempts on
	// either surface count together.
	SigninLimit *ratelimit.Limiter
}

// Screen registers the pages of one screen.
type Screen func(mux *http.ServeMux, d ui.Deps)

// Server is the web console.
type Server struct {
	opts   Options
	log    logr.Logger
	assets *assets
	csrf   csrf
	pages  *ui.Templates
	mux    *http.ServeMux
}

// csrfKeyName names the store secret that keys CSRF tokens.
const csrfKeyName = "web-csrf-key"

// New returns the web console with the given screens mounted.
func New(ctx context.Context, o Options, screens ...Screen) (*Server, error) {
	a, err := loadAssets(static)
	if err != nil {
		return nil, fmt.Errorf("load web assets: %w", err)
	}
	if !a.htmx {
		o.Logger.Info("htmx is not embedded (run `make assets` before building): the web console works as plain HTML forms")
	}
	key, err := o.Store.Secret(ctx, csrfKeyName, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("CSRF key: %w", err)
	}
	chrome := &ui.Chrome{Scripts: a.scripts, Log: o.Logger}
	s := &Server{opts: o, log: o.Logger, assets: a, csrf: csrf{key: key}, mux: http.NewServeMux()}
	s.pages = chrome.MustParse(pageFS, nil, "signin.html")
	s.mux.HandleFunc("GET /static/", a.serve)
	s.mux.HandleFunc("GET /signin", s.signinPage)
	s.mux.HandleFunc("POST /signin", s.signin)
	s.mux.HandleFunc("POST /signout", s.signout)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/routes", http.StatusFound)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.pages.Fail(w, r, manage.Refuse(manage.CodeNotFound, "", "no page at %s", r.URL.Path))
	})
	d := ui.Deps{App: o.App, Health: o.Store, Chrome: chrome, Databroker: o.Databroker, ActivityChain: o.ActivityChain, Log: o.Logger}
	for _, register := range screens {
		register(s.mux, d)
	}
	return s, nil
}

// Handler returns the console with every guard in front of it.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	return s.recover(securityHeaders(cop.Handler(s.authenticate(s.mux))))
}

// public paths need no sign-in.
func public(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/signin"
}

// contentSecurityPolicy allows scripts, styles and requests only from the
// console itself; no inline script can run.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// recover turns a panic into a 500 that tells the viewer nothing of the
// console's insides.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
					panic(v)
				}
				s.log.Error(fmt.Errorf("panic: %v", v), "web handler panicked", "path", r.URL.Path, "stack", string(debug.Stack()))
				http.Error(w, "internal error; the console logged the details", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// safeMethod reports whether a request changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate identifies the caller (Pomerium's assertion, or the session
// a recovery token started), checks the CSRF token of anything that could
// change state, and puts the caller in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !safeMethod(r.Method) {
			// Read the form now, so that one too large is told so rather
			// than refused for a CSRF token that was never read.
			if err := ui.ParseForm(w, r); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					http.Error(w, fmt.Sprintf("the form is larger than the %d MiB the console takes", ui.MaxFormBytes>>20), http.StatusRequestEntityTooLarge)
					return
				}
				http.Error(w, "unreadable form: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		seed := s.csrf.seed(w, r)
		if public(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		p, withToken, err := s.caller(r)
		if err != nil {
			s.unauthenticated(w, r, err)
			return
		}
		if !safeMethod(r.Method) && !s.csrf.valid(r, p.Subject) {
			http.Error(w, "missing or invalid CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		c, err := s.opts.App.Caller(r.Context(), p.Identity(), store.OriginUI)
		if err != nil {
			s.log.Error(err, "load roles")
			http.Error(w, "cannot read roles now; try again", http.StatusServiceUnavailable)
			return
		}
		v := ui.NewViewer(p, c, s.csrf.token(seed, p.Subject), withToken)
		if c.SessionID != "" && c.May(manage.Impersonate, store.GlobalNamespaceID) {
			// Only Global admins behind Pomerium can impersonate: nobody
			// else's page reads the databroker for the banner.
			switch ses, err := s.opts.App.Impersonating(r.Context(), c, ""); {
			case err != nil:
				s.log.Error(err, "read whether the viewer impersonates")
			case ses != nil:
				v.Impersonating = ses.User.Label()
			}
		}
		ctx := ui.WithViewer(r.Context(), v)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// caller authenticates a request: the assertion wins, since behind
// Pomerium every request carries one.
func (s *Server) caller(r *http.Request) (*auth.Principal, bool, error) {
	if r.Header.Get(auth.AssertionHeader) != "" {
		h := http.Header{}
		h.Set(auth.AssertionHeader, r.Header.Get(auth.AssertionHeader))
		p, err := s.opts.Auth.Authenticate(r.Context(), h)
		return p, false, err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false, auth.ErrNoCredentials
	}
	p, err := s.tokenPrincipal(r.Context(), c.Value)
	return p, true, err
}

// tokenPrincipal checks a recovery token, the only token that signs in to
// the web console.
func (s *Server) tokenPrincipal(ctx context.Context, token string) (*auth.Principal, error) {
	h := http.Header{}
	h.Set(auth.AuthorizationHeader, "Pomerium "+token)
	p, err := s.opts.Auth.Authenticate(ctx, h)
	if err != nil {
		return nil, err
	}
	if p.Kind != auth.KindRecovery {
		return nil, fmt.Errorf("%w: this is a %s token; sign in to the web console with a recovery token, or through Pomerium", auth.ErrUnauthenticated, p.Kind)
	}
	return p, nil
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrNoCredentials) && !errors.Is(err, auth.ErrUnauthenticated) {
		s.log.Error(err, "authenticate web request")
		http.Error(w, "cannot check credentials now; try again", http.StatusServiceUnavailable)
		return
	}
	if _, cerr := r.Cookie(sessionCookie); cerr == nil {
		clearSession(w) // expired or revoked
	}
	target := "/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if ui.IsHTMX(r) {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "sign in first: "+err.Error(), http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

package webtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/screens"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Audience is the console's address as the test assertions name it.
const Audience = "console.example.com"

// Admin is listed in the config's administrators.
const Admin = "admin@example.com"

// Env is one test's web console.
type Env struct {
	T     testing.TB
	Store store.Store
	Auth  *auth.Authenticator
	// App is the use cases the console calls, for a test that serves
	// another surface over the same ones.
	App *manage.App
	// URL is the console's base URL (https).
	URL string
	// Handler is the console itself, to call in process (benchmarks time
	// the server alone).
	Handler http.Handler
	server  *httptest.Server
	key     *ecdsa.PrivateKey
}

// Options adjust an Env.
type Options struct {
	// Databroker answers the status page; nil leaves it out.
	Databroker ui.Databroker
	// ActivityChain is the watch of the activity log the status page
	// shows; nil leaves it out.
	ActivityChain ui.ActivityChain
	// Databrokers reach the clusters' databrokers, for the screens of
	// sessions and devices; nil leaves them unreachable.
	Databrokers manage.Databrokers
	// SharedSecret is the default cluster's shared secret, which signs
	// its device enrollment links; nil: they cannot be made.
	SharedSecret []byte
	// Screens to mount; nil mounts every screen.
	Screens []web.Screen
	// Logger, when set, is where the console logs instead of the test.
	Logger logr.Logger
	// DefaultClusterURL is the default cluster's databroker URL, as the
	// clusters screen shows it.
	DefaultClusterURL string
	// Fetcher fetches the data sources a test fetch asks for; nil: the
	// console cannot test data sources.
	Fetcher *datasource.Fetcher
	// SigninLimit limits sign-in attempts; nil: unlimited.
	SigninLimit *ratelimit.Limiter
}

// New starts the web console on st.
func New(t testing.TB, st store.Store, o Options) *Env {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	log := logr.Discard() // a benchmark times the console, not its logging
	if _, bench := t.(*testing.B); !bench {
		log = testr.NewWithInterface(t, testr.Options{Verbosity: 1})
	}
	if o.Logger.GetSink() != nil {
		log = o.Logger
	}
	a, err := auth.New(t.Context(), auth.Options{
		Store: st, Audience: []string{Audience}, Administrators: []string{Admin}, Logger: log,
		SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Screens == nil {
		o.Screens = screens.All()
	}
	app := manage.New(manage.Options{Store: st, Tokens: a, DefaultClusterURL: o.DefaultClusterURL, Probe: Probe, Databrokers: o.Databrokers, Fetcher: o.Fetcher,
		DefaultSharedSecret: o.SharedSecret, Logger: log})
	w, err := web.New(t.Context(), web.Options{App: app, Store: st, Auth: a, Databroker: o.Databroker, ActivityChain: o.ActivityChain, Logger: log, SigninLimit: o.SigninLimit}, o.Screens...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(w.Handler())
	t.Cleanup(ts.Close)
	return &Env{T: t, Store: st, Auth: a, App: app, URL: ts.URL, Handler: w.Handler(), server: ts, key: key}
}

// Browser is an HTTP client with its own cookies, as one browser tab.
type Browser struct {
	env    *Env
	client *http.Client
	// assertion, when set, is sent on every request as Pomerium would.
	assertion string
	csrf      string
}

func (e *Env) browser() *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.T.Fatal(err)
	}
	c := new(http.Client)
	*c = *e.server.Client() // a copy: each browser has its own cookies
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Browser{env: e, client: c}
}

// Anonymous is a browser that has not signed in.
func (e *Env) Anonymous() *Browser { return e.browser() }

// Recovery is a browser signed in on the sign-in page with a recovery token
// for a namespace (Global when empty).
func (e *Env) Recovery(namespaceID string) *Browser {
	e.T.Helper()
	if namespaceID == "" {
		namespaceID = store.GlobalNamespaceID
	}
	tok, err := e.Auth.IssueRecoveryToken(e.T.Context(), namespaceID, time.Hour)
	if err != nil {
		e.T.Fatal(err)
	}
	b := e.browser()
	page := b.Get("/signin")
	res := b.Post("/signin", map[string][]string{"token": {tok}, "csrf_token": {page.CSRF()}})
	if res.Status != http.StatusSeeOther {
		e.T.Fatalf("sign in: status %d: %s", res.Status, res.Text())
	}
	b.csrf = "" // the sign-in page's token was the anonymous visitor's; the session's comes with its first page
	return b
}

// User is a browser behind Pomerium: every request carries the user's
// assertion. A user listed as Admin is a Global admin; others have the
// roles granted to them.
func (e *Env) User(email string, groups ...string) *Browser {
	b := e.browser()
	b.assertion = e.Assertion(email, groups...)
	return b
}

// UserInSession is User whose assertion names the user's Pomerium session
// (its sid), as a user who may impersonate comes.
func (e *Env) UserInSession(email, sid string, groups ...string) *Browser {
	b := e.browser()
	b.assertion = e.sign(jwt.MapClaims{"sub": "user-" + email, "email": email, "groups": groups, "sid": sid})
	return b
}

// Assertion signs Pomerium's assertion for a user.
func (e *Env) Assertion(email string, groups ...string) string {
	e.T.Helper()
	return e.sign(jwt.MapClaims{"sub": "user-" + email, "email": email, "groups": groups})
}

// sign signs claims as Pomerium signs its assertion for the console,
// valid for an hour.
func (e *Env) sign(claims jwt.MapClaims) string {
	e.T.Helper()
	claims["aud"], claims["iat"], claims["exp"] = Audience, time.Now().Unix(), time.Now().Add(time.Hour).Unix()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(e.key)
	if err != nil {
		e.T.Fatal(err)
	}
	return tok
}

// Grant gives a user (an email) or a group a role in a namespace.
func (e *Env) Grant(role store.Role, namespaceID string, subject store.SubjectType, id string) {
	e.T.Helper()
	_, err := store.Put(e.T.Context(), e.Store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.NamespacePermission{
		ObjectMeta:  store.ObjectMeta{ID: uuid.NewString(), NamespaceID: namespaceID},
		SubjectType: subject, SubjectID: id, Role: role,
	}, 0)
	if err != nil {
		e.T.Fatal(err)
	}
}

package auth

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
)

// Header names of the credentials.
const (
	AuthorizationHeader = "Authorization"
	AssertionHeader     = "X-Pomerium-Jwt-Assertion"
	// JWTHeader is what Pomerium's SDK sends beside the authorization
	// header: the same token, or on GetServerInfo a databroker token
	// signed with the shared secret. It is never a credential here.
	JWTHeader = "Jwt"
)

// Leeway is how far clocks may disagree: a token is accepted up to this long
// after its exp and this long before its nbf or iat.
const Leeway = time.Minute

// DefaultJWKSTimeout bounds one fetch of Pomerium's JWKS when Options gives
// no HTTP client.
const DefaultJWKSTimeout = 10 * time.Second

// Options configure an Authenticator.
// Store is what authentication reads and writes: the objects tokens name
// (service accounts, namespaces), the console's own keys and what it learns
// of its callers.
type Store interface {
	store.Desired
	store.IdentityStore
}

type Options struct {
	Store Store
	// Audience lists the accepted aud values of Pomerium's assertion (config
	// audience). Assertions are refused while it is empty.
	Audience []string
	// Administrators are the config's administrators: user ids, emails or
	// groups made admins of the Global namespace.
	Administrators []string
	// SigningKey is the PEM of Pomerium's ES256 key (config signing_key):
	// the public key, or the private key the public one is derived from.
	SigningKey []byte
	// JWKSURL is Pomerium's JWKS (config signing_key_jwks_url), e.g.
	// https://authenticate.example.com/.well-known/pomerium/jwks.json.
	JWKSURL string
	// SharedSecret is the decoded shared_secret of the config (Pomerium's,
	// which the databroker shares): when set, the bootstrap token signed
	// with it authenticates a Global admin. Nil refuses every bootstrap
	// token.
	SharedSecret []byte
	// HTTPClient fetches the JWKS; nil: a client with DefaultJWKSTimeout.
	HTTPClient *http.Client
	// Now is the clock; nil: time.Now.
	Now    func() time.Time
	Logger logr.Logger
}

// Authenticator identifies callers. It is safe for concurrent use.
type Authenticator struct {
	store     Store
	audience  []string
	admins    administrators
	now       func() time.Time
	log       logr.Logger
	signing   *ecdsa.PublicKey // Pomerium's signing_key, nil when unset
	jwks      *jwks            // nil when signing_key_jwks_url is unset
	accounts  *ecdsa.PrivateKey
	recovery  *ecdsa.PrivateKey
	recorded  *throttle
	secret    []byte // the shared secret, nil when unset
	jwksURL   string
	keySource string // names the keys that verify assertions, for errors
}

// New returns an Authenticator. It reads (creating them on first use) the
// keys that sign the console's own tokens from the store.
func New(ctx context.Context, o Options) (*Authenticator, error) {
	if o.Store == nil {
		return nil, errors.New("auth: no store")
	}
	a := &Authenticator{
		store: o.Store, audience: o.Audience, admins: o.Administrators,
		now: o.Now, log: o.Logger, recorded: newThrottle(RecordInterval), jwksURL: o.JWKSURL,
		secret: slices.Clone(o.SharedSecret),
	}
	if a.now == nil {
		a.now = time.Now
	}
	var err error
	if len(o.SigningKey) > 0 {
		if a.signing, err = parsePublicKey(o.SigningKey); err != nil {
			return nil, fmt.Errorf("signing_key: %w", err)
		}
	}
	if o.JWKSURL != "" {
		client := o.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: DefaultJWKSTimeout}
		}
		a.jwks = newJWKS(o.JWKSURL, client, a.now, o.Logger)
	}
	a.keySource = describeKeySource(a.signing != nil, o.JWKSURL)
	if a.accounts, err = consoleKey(ctx, o.Store, serviceAccountKeyName); err != nil {
		return nil, err
	}
	if a.recovery, err = consoleKey(ctx, o.Store, recoveryKeyName); err != nil {
		return nil, err
	}
	return a, nil
}

func describeKeySource(static bool, jwksURL string) string {
	switch {
	case static && jwksURL != "":
		return "signing_key or the JWKS at " + jwksURL
	case jwksURL != "":
		return "the JWKS at " + jwksURL
	}
	return "signing_key"
}

// Authenticate identifies the caller of one request from its headers. A
// refused credential gives an *Error (errors.Is(err, ErrUnauthenticated));
// a request without any gives one that also matches ErrNoCredentials. Any
// other error means the console could not check the credential (the store
// or the JWKS did not answer) and says nothing about the caller.
//
// The authorization header, when present, wins over Pomerium's assertion:
// a program that reaches the console through Pomerium presents its own
// token there. The jwt header is ignored beside either, whatever it
// holds, and refused alone.
func (a *Authenticator) Authenticate(ctx context.Context, h http.Header) (*Principal, error) {
	if values := h.Values(AuthorizationHeader); len(values) > 0 {
		token, err := bearerToken(values)
		if err != nil {
			return nil, err
		}
		return a.bearer(ctx, token)
	}
	if values := h.Values(AssertionHeader); len(values) > 0 {
		if len(values) > 1 {
			return nil, refuse(ReasonMalformed, AssertionHeader+" header", "is set %d times, want once", len(values))
		}
		if strings.TrimSpace(values[0]) == "" {
			return nil, refuse(ReasonMalformed, AssertionHeader+" header", "is empty")
		}
		return a.assertion(ctx, strings.TrimSpace(values[0]))
	}
	if len(h.Values(JWTHeader)) > 0 {
		return nil, refuse(ReasonMalformed, "jwt header",
			`is not a credential on its own: send the token as "authorization: Pomerium <token>" (a jwt header beside it is ignored)`)
	}
	return nil, refuse(ReasonNoCredentials, "", "no credentials: want an authorization header (Pomerium or Bearer token) or an %s header", AssertionHeader)
}

// bearerToken reads "Pomerium <token>" or "Bearer <token>", with the scheme
// in any case.
func bearerToken(values []string) (string, error) {
	const what = "authorization header"
	if len(values) > 1 {
		return "", refuse(ReasonMalformed, what, "is set %d times, want once", len(values))
	}
	v := strings.TrimSpace(values[0])
	if v == "" {
		return "", refuse(ReasonMalformed, what, "is empty")
	}
	scheme, token, spaced := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Pomerium") && !strings.EqualFold(scheme, "Bearer") {
		switch {
		case !spaced:
			// A single word may be a bare token: never quote it.
			return "", refuse(ReasonMalformed, what, `has no scheme, want "Pomerium <token>" or "Bearer <token>"`)
		case len(scheme) > 20:
			return "", refuse(ReasonMalformed, what, "has an unsupported scheme, want Pomerium or Bearer")
		}
		return "", refuse(ReasonMalformed, what, "scheme %q is not supported, want Pomerium or Bearer", scheme)
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return "", refuse(ReasonMalformed, what, "has no token after %q", scheme)
	case strings.ContainsAny(token, " \t"):
		return "", refuse(ReasonMalformed, what, "holds more than one word after %q, want a single token", scheme)
	}
	return token, nil
}

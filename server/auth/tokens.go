package auth

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// Issuer is the iss of the tokens the console signs.
const Issuer = "pomerium-console"

// MaxRecoveryTTL caps the life of a recovery token: it makes its bearer an
// admin, so it must not outlive the emergency it was made for.
const MaxRecoveryTTL = 24 * time.Hour

// Values of the typ claim of the console's tokens.
const (
	typeServiceAccount = "service_account"
	typeRecovery       = "recovery"
)

// consoleClaims are the claims of both kinds of console token.
type consoleClaims struct {
	jwt.RegisteredClaims
	Type        string `json:"typ"`
	NamespaceID string `json:"namespace_id,omitempty"`
	// ServiceAccountID names the account of a service account token, whose
	// sub is the user the account acts as. Tokens signed before accounts
	// could choose a user lack it; their sub is the account's id.
	ServiceAccountID string `json:"service_account_id,omitempty"`
}

func (c *consoleClaims) credential() string {
	switch c.Type {
	case typeServiceAccount:
		return "service account token"
	case typeRecovery:
		return "recovery token"
	}
	return "token in the authorization header"
}

// IssueServiceAccountToken signs a token for sa: its sub is the user the
// account acts as (sa.User()). It is valid while the account exists, until
// the account's ExpiresAt when set.
func (a *Authenticator) IssueServiceAccountToken(_ context.Context, sa *store.ServiceAccount) (string, error) {
	if sa == nil || sa.ID == "" {
		return "", errors.New("issue service account token: the account has no id")
	}
	now := a.now()
	c := a.newClaims(typeServiceAccount, sa.User(), now)
	c.ServiceAccountID = sa.ID
	if !sa.ExpiresAt.IsZero() {
		if !sa.ExpiresAt.After(now) {
			return "", fmt.Errorf("issue service account token: service account %s expired at %s", sa.ID, stamp(sa.ExpiresAt))
		}
		c.ExpiresAt = jwt.NewNumericDate(sa.ExpiresAt)
	}
	return sign(a.accounts, c)
}

// CheckRecoveryTTL says whether ttl is a valid life for a recovery token:
// more than zero and at most MaxRecoveryTTL.
func CheckRecoveryTTL(ttl time.Duration) error {
	switch {
	case ttl <= 0:
		return fmt.Errorf("recovery token ttl is %s, want more than 0 and at most %s", ttl, MaxRecoveryTTL)
	case ttl > MaxRecoveryTTL:
		return fmt.Errorf("recovery token ttl is %s, more than the maximum of %s", ttl, MaxRecoveryTTL)
	}
	return nil
}

// IssueRecoveryToken signs a token that makes its bearer an admin of the
// namespace (and those below it) for ttl.
func (a *Authenticator) IssueRecoveryToken(ctx context.Context, namespaceID string, ttl time.Duration) (string, error) {
	if err := CheckRecoveryTTL(ttl); err != nil {
		return "", err
	}
	if _, err := store.Get[*store.Namespace](ctx, a.store, namespaceID); err != nil {
		return "", fmt.Errorf("issue recovery token: %w", err)
	}
	now := a.now()
	c := a.newClaims(typeRecovery, "", now)
	c.NamespaceID = namespaceID
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	return sign(a.recovery, c)
}

func (a *Authenticator) newClaims(typ, subject string, now time.Time) *consoleClaims {
	return &consoleClaims{Type: typ, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: Issuer, Subject: subject, IssuedAt: jwt.NewNumericDate(now), ID: uuid.NewString(),
	}}
}

func sign(key *ecdsa.PrivateKey, c *consoleClaims) (string, error) {
	s, err := jwt.NewWithClaims(jwt.SigningMethodES256, c).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", c.credential(), err)
	}
	return s, nil
}

// bearer verifies a token from the authorization header: the bootstrap
// token of the shared secret (HS256) or one the console signed (ES256).
func (a *Authenticator) bearer(ctx context.Context, raw string) (*Principal, error) {
	unverified, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		// The library's message describes the structure, never the content.
		return nil, refuse(ReasonMalformed, "token in the authorization header", "is not a valid JWT: %v", err)
	}
	if unverified.Method.Alg() == jwt.SigningMethodHS256.Alg() {
		return a.bootstrapToken(raw)
	}
	return a.consoleToken(ctx, raw)
}

// consoleToken verifies a token the console signed.
func (a *Authenticator) consoleToken(ctx context.Context, raw string) (*Principal, error) {
	var c consoleClaims
	err := verifySigned(raw, &c, func(*jwt.Token) ([]*ecdsa.PublicKey, string, error) {
		switch c.Type {
		case typeServiceAccount:
			return []*ecdsa.PublicKey{&a.accounts.PublicKey}, "the console's service account key", nil
		case typeRecovery:
			return []*ecdsa.PublicKey{&a.recovery.PublicKey}, "the console's recovery key", nil
		}
		return nil, "", refuse(ReasonWrongIssuer, c.credential(),
			"is neither a service account token nor a recovery token (typ %.64q)", c.Type)
	})
	if err != nil {
		return nil, err
	}
	now := a.now()
	if err := checkTimes(&c, &c.RegisteredClaims, now, c.Type == typeRecovery); err != nil {
		return nil, err
	}
	if c.Issuer != Issuer {
		return nil, refuse(ReasonWrongIssuer, c.credential(), "is issued by %q, want %q", c.Issuer, Issuer)
	}
	if c.Type == typeRecovery {
		return a.recoveryPrincipal(ctx, &c)
	}
	return a.serviceAccountPrincipal(ctx, &c, now)
}

func (a *Authenticator) serviceAccountPrincipal(ctx context.Context, c *consoleClaims, now time.Time) (*Principal, error) {
	if c.Subject == "" {
		return nil, refuse(ReasonMalformed, c.credential(), "has no sub")
	}
	id := c.ServiceAccountID
	if id == "" {
		id = c.Subject
	}
	sa, err := live[*store.ServiceAccount](ctx, a.store, c, "service account", id)
	switch {
	case err != nil:
		return nil, err
	case c.Subject != sa.User():
		// A user id never changes, so this is no token the console signed
		// for this account.
		return nil, refuse(ReasonMalformed, c.credential(), "names user %.300q, but service account %s acts as user %q", c.Subject, sa.ID, sa.User())
	case !sa.ExpiresAt.IsZero() && !now.Before(sa.ExpiresAt):
		return nil, refuse(ReasonAccountExpired, c.credential(), "service account %s expired at %s", sa.ID, stamp(sa.ExpiresAt))
	}
	p := &Principal{
		Kind: KindServiceAccount, Subject: "service_account:" + sa.ID, UserID: sa.User(), Name: sa.Name,
		ExpiresAt: earliest(expiry(c.ExpiresAt), sa.ExpiresAt),
	}
	// The configured administrators name an account without a chosen user
	// by its id, as before user ids could be chosen. An account acting as a
	// user never becomes an administrator that way: its roles are the
	// permissions of that user, which its creator could grant (see
	// manage's rule for service accounts).
	if sa.UserID == "" {
		p.Administrator = a.admins.match(p)
	}
	a.record(ctx, "service_account:"+sa.ID, now, func(ctx context.Context) error {
		return a.store.TouchServiceAccount(ctx, sa.ID, now)
	})
	return p, nil
}

func (a *Authenticator) recoveryPrincipal(ctx context.Context, c *consoleClaims) (*Principal, error) {
	if c.NamespaceID == "" {
		return nil, refuse(ReasonMalformed, c.credential(), "names no namespace")
	}
	if _, err := live[*store.Namespace](ctx, a.store, c, "namespace", c.NamespaceID); err != nil {
		return nil, err
	}
	return &Principal{
		Kind: KindRecovery, Subject: "recovery:" + c.NamespaceID, RecoveryNamespaceID: c.NamespaceID,
		ExpiresAt: expiry(c.ExpiresAt),
	}, nil
}

// live reads the object a token speaks for. Its absence revokes the token:
// deleting a service account or a namespace ends its tokens at once.
func live[T store.Object](ctx context.Context, st Store, c *consoleClaims, what, id string) (T, error) {
	obj, err := store.Get[T](ctx, st, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return obj, refuse(ReasonRevoked, c.credential(), "%s %s no longer exists", what, id)
	case err != nil:
		return obj, fmt.Errorf("read %s %s: %w", what, id, err)
	}
	return obj, nil
}

// earliest is the earlier of two times, a zero time meaning never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

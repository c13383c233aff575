package auth

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pomerium-console/pomerium-console/store"
)

const assertionCredential = "Pomerium assertion"

// assertionClaims are the claims of the identity assertion Pomerium sends.
type assertionClaims struct {
	jwt.RegisteredClaims
	Email string `json:"email"`
	Name  string `json:"name"`
	// Groups holds group names or ids, as Pomerium has them from the
	// identity provider.
	Groups []string `json:"groups"`
	// SessionID is the id of the caller's Pomerium session (its record in
	// the databroker).
	SessionID string `json:"sid"`
}

func (*assertionClaims) credential() string { return assertionCredential }

// assertion verifies Pomerium's identity assertion.
func (a *Authenticator) assertion(ctx context.Context, raw string) (*Principal, error) {
	if a.signing == nil && a.jwks == nil {
		return nil, refuse(ReasonNotConfigured, assertionCredential,
			"cannot be verified: set signing_key (Pomerium's signing key) or signing_key_jwks_url (Pomerium's JWKS)")
	}
	if len(a.audience) == 0 {
		return nil, refuse(ReasonNotConfigured, assertionCredential,
			"cannot be accepted: set audience to the host names the console is reached at through Pomerium")
	}
	var c assertionClaims
	if err := verifySigned(raw, &c, func(t *jwt.Token) ([]*ecdsa.PublicKey, string, error) {
		return a.assertionKeys(ctx, t)
	}); err != nil {
		return nil, err
	}
	now := a.now()
	if err := checkTimes(&c, &c.RegisteredClaims, now, true); err != nil {
		return nil, err
	}
	if err := a.checkAudience(c.Audience); err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, refuse(ReasonMalformed, assertionCredential, "has no sub")
	}
	p := &Principal{
		Kind: KindUser, Subject: c.Subject, UserID: c.Subject, Email: c.Email, Name: c.Name,
		Groups: c.Groups, ExpiresAt: expiry(c.ExpiresAt), SessionID: c.SessionID,
	}
	if c.Email != "" {
		p.Subject = c.Email
	}
	p.Administrator = a.admins.match(p)
	a.record(ctx, "user:"+p.UserID, now, func(ctx context.Context) error {
		return a.store.RecordUser(ctx, store.User{ID: p.UserID, Email: p.Email, Name: p.Name, Groups: p.Groups, SeenAt: now})
	})
	return p, nil
}

// assertionKeys returns signing_key and the keys of the JWKS that t's kid
// names (all of them when it names none).
func (a *Authenticator) assertionKeys(ctx context.Context, t *jwt.Token) ([]*ecdsa.PublicKey, string, error) {
	// kid is not signed yet: messages quote at most 64 runes of it.
	kid, _ := t.Header["kid"].(string)
	var keys []*ecdsa.PublicKey
	if a.signing != nil {
		keys = append(keys, a.signing)
	}
	name := a.keySource
	if a.jwks != nil {
		found, known, err := a.jwks.lookup(ctx, kid)
		if err != nil {
			return nil, "", err
		}
		if len(found) == 0 && a.signing == nil {
			return nil, "", refuse(ReasonUnknownKey, assertionCredential,
				"is signed with key %.64q, which the JWKS at %s does not hold (it holds %s)", kid, a.jwksURL, quoteAll(known))
		}
		keys = append(keys, found...)
		if kid != "" {
			name += fmt.Sprintf(" (kid %.64q)", kid)
		}
	}
	return keys, name, nil
}

// checkAudience accepts an aud that holds one of the configured audiences.
// Host names compare case-insensitively.
func (a *Authenticator) checkAudience(aud jwt.ClaimStrings) error {
	for _, got := range aud {
		for _, want := range a.audience {
			if strings.EqualFold(got, want) {
				return nil
			}
		}
	}
	if len(aud) == 0 {
		return refuse(ReasonWrongAudience, assertionCredential, "has no aud, want one of %s", quoteAll(a.audience))
	}
	return refuse(ReasonWrongAudience, assertionCredential, "is for audience %s, want one of %s", quoteAll(aud), quoteAll(a.audience))
}

func quoteAll(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(quoted, ", ")
}

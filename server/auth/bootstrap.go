package auth

import (
	"errors"
	"regexp"

	"github.com/golang-jwt/jwt/v5"
)

// bootstrapCredential names the bootstrap token in refusals.
const bootstrapCredential = "bootstrap token"

// bootstrapSubject is the sub of a bootstrap token: Pomerium's Terraform
// provider and SDK sign "bootstrap-<uuid>.pomerium" (with the uuid of the
// jti) when given a shared secret instead of a service account token.
var bootstrapSubject = regexp.MustCompile(`^bootstrap-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\.pomerium$`)

// bootstrapClaims are the claims of a bootstrap token: jti, sub, iat and
// nbf, and never an exp.
type bootstrapClaims struct{ jwt.RegisteredClaims }

func (*bootstrapClaims) credential() string { return bootstrapCredential }

// bootstrapToken verifies a bootstrap token: an HS256 JWT signed with the
// shared secret whose sub is bootstrap-<uuid>.pomerium. Whoever holds the
// shared secret can write Pomerium's databroker directly, so the token
// makes its bearer an admin of the Global namespace, known in the activity
// log by its sub. It has no exp, as the provider signs it; nbf and iat may
// be at most Leeway ahead of the console's clock.
func (a *Authenticator) bootstrapToken(raw string) (*Principal, error) {
	if len(a.secret) == 0 {
		return nil, refuse(ReasonNotConfigured, bootstrapCredential,
			"is signed with HS256, and the console accepts that only for the bootstrap token of its shared_secret, which is not configured")
	}
	var c bootstrapClaims
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return a.secret, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, refuse(ReasonBadSignature, bootstrapCredential, "signature does not verify with the shared_secret")
	case err != nil:
		return nil, refuse(ReasonMalformed, bootstrapCredential, "is not a valid JWT: %v", err)
	}
	if err := checkTimes(&c, &c.RegisteredClaims, a.now(), false); err != nil {
		return nil, err
	}
	switch {
	case c.Subject == "":
		// What Pomerium's databroker takes (a token with only exp) is no
		// credential of the console's API.
		return nil, refuse(ReasonMalformed, bootstrapCredential,
			"has no sub: the console takes the bootstrap token, whose sub is bootstrap-<uuid>.pomerium, not a databroker token")
	case !bootstrapSubject.MatchString(c.Subject):
		return nil, refuse(ReasonMalformed, bootstrapCredential, "sub %.80q is not bootstrap-<uuid>.pomerium", c.Subject)
	}
	return &Principal{
		Kind: KindBootstrap, Subject: c.Subject, UserID: c.Subject, Name: "bootstrap service account",
		Administrator: true, ExpiresAt: expiry(c.ExpiresAt),
	}, nil
}

package auth

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// namedClaims are claims that know what credential they belong to, for
// error messages.
type namedClaims interface {
	jwt.Claims
	credential() string
}

// keyFinder returns the keys that may have signed t, and how to name them
// in an error. An *Error it returns refuses the token; any other error means
// the keys could not be found.
type keyFinder func(t *jwt.Token) (keys []*ecdsa.PublicKey, name string, err error)

// verifySigned decodes raw into claims and checks that it is an ES256 JWT
// signed by one of the keys find returns. It checks no claim: times and
// audiences are for the caller, whose messages say more than the JWT
// library's.
func verifySigned(raw string, claims namedClaims, find keyFinder) error {
	var keyName string
	var lookupErr error
	_, err := jwt.NewParser(jwt.WithoutClaimsValidation()).ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if alg := t.Method.Alg(); alg != jwt.SigningMethodES256.Alg() {
			return nil, refuse(ReasonBadSignature, claims.credential(), "is signed with %s, want ES256", alg)
		}
		keys, name, err := find(t)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		keyName = name
		set := jwt.VerificationKeySet{}
		for _, k := range keys {
			set.Keys = append(set.Keys, k)
		}
		return set, nil
	})
	var refused *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return refused
	case lookupErr != nil:
		return fmt.Errorf("verify %s: %w", claims.credential(), lookupErr)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return refuse(ReasonBadSignature, claims.credential(), "signature does not verify with %s", keyName)
	}
	// Malformed or unverifiable (an unknown alg): the library's message
	// describes the structure, never the content.
	return refuse(ReasonMalformed, claims.credential(), "is not a valid JWT: %v", err)
}

// checkTimes enforces exp, nbf and iat, each with Leeway.
func checkTimes(claims namedClaims, c *jwt.RegisteredClaims, now time.Time, requireExp bool) error {
	switch {
	case c.ExpiresAt == nil && requireExp:
		return refuse(ReasonMalformed, claims.credential(), "has no exp")
	case c.ExpiresAt != nil && now.After(c.ExpiresAt.Add(Leeway)):
		return refuse(ReasonExpired, claims.credential(), "expired at %s, %s ago",
			stamp(c.ExpiresAt.Time), now.Sub(c.ExpiresAt.Time).Round(time.Second))
	case c.NotBefore != nil && now.Add(Leeway).Before(c.NotBefore.Time):
		return refuse(ReasonNotYetValid, claims.credential(), "is not valid before %s (now %s)", stamp(c.NotBefore.Time), stamp(now))
	case c.IssuedAt != nil && now.Add(Leeway).Before(c.IssuedAt.Time):
		return refuse(ReasonNotYetValid, claims.credential(), "is issued at %s, in the future (now %s)", stamp(c.IssuedAt.Time), stamp(now))
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// expiry is the time of a NumericDate, zero when absent.
func expiry(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

package databroker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/metadata"
)

// MetadataKey is the gRPC metadata key that carries the service token.
const MetadataKey = "jwt"

// tokenLifetime is how long a signed token is valid. Tokens are minted per
// call, so a short lifetime costs nothing and limits replay.
const tokenLifetime = time.Minute

// SignToken returns the token Pomerium's services present to each other: an
// HS256 JWT signed with the decoded shared secret, carrying only exp.
func SignToken(sharedSecret []byte, now time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		ExpiresAt: jwt.NewNumericDate(now.Add(tokenLifetime)),
	})
	s, err := tok.SignedString(sharedSecret)
	if err != nil {
		return "", fmt.Errorf("sign databroker token: %w", err)
	}
	return s, nil
}

// VerifyToken checks a token as Pomerium's databroker does
// (grpcutil.RequireSignedJWT): an HMAC signature with the decoded shared
// secret, exactly one claim, exp, a number, and now not after it. No clock
// skew is allowed.
func VerifyToken(sharedSecret []byte, token string, now time.Time) error {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return sharedSecret, nil },
		jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}),
		// Checked below, as Pomerium checks them.
		jwt.WithoutClaimsValidation(),
	)
	if err != nil {
		return fmt.Errorf("databroker token: %w", err)
	}
	exp, ok := claims["exp"].(float64)
	if len(claims) != 1 || !ok {
		return errors.New("databroker token: expected exactly one claim (exp)")
	}
	if expiry := time.UnixMicro(int64(exp * 1e6)); now.After(expiry) {
		return fmt.Errorf("databroker token: expired at %s", expiry.UTC().Format(time.DateTime))
	}
	return nil
}

// TokenFromContext returns the token of an incoming call.
func TokenFromContext(ctx context.Context) (string, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return "", errors.New("no metadata")
	}
	vals := md.Get(MetadataKey)
	if len(vals) == 0 || vals[0] == "" {
		return "", fmt.Errorf("no %q metadata", MetadataKey)
	}
	return vals[0], nil
}

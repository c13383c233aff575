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

// VerifyToken checks a token made by SignToken (or by Pomerium) with the
// same shared secret.
func VerifyToken(sharedSecret []byte, token string, now time.Time) error {
	_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return sharedSecret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return fmt.Errorf("databroker token: %w", err)
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

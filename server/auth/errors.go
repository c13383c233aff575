package auth

import (
	"errors"
	"fmt"
)

// Reason says why a credential was refused.
type Reason string

// The reasons of an *Error.
const (
	// ReasonNoCredentials: the request carries no credential at all.
	ReasonNoCredentials Reason = "no_credentials"
	// ReasonMalformed: a header or token that cannot be read.
	ReasonMalformed Reason = "malformed"
	// ReasonBadSignature: the token is not signed by a key the console trusts.
	ReasonBadSignature Reason = "bad_signature"
	// ReasonUnknownKey: the token names a key (kid) that Pomerium's JWKS
	// does not hold.
	ReasonUnknownKey Reason = "unknown_key"
	// ReasonExpired: the token's exp has passed.
	ReasonExpired Reason = "expired"
	// ReasonNotYetValid: the token's nbf or iat lies in the future.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonWrongAudience: the assertion is for another audience.
	ReasonWrongAudience Reason = "wrong_audience"
	// ReasonWrongIssuer: the token was issued by someone else, or for another use.
	ReasonWrongIssuer Reason = "wrong_issuer"
	// ReasonRevoked: what the token speaks for (a service account, a
	// namespace) no longer exists.
	ReasonRevoked Reason = "revoked"
	// ReasonAccountExpired: the service account itself has expired.
	ReasonAccountExpired Reason = "account_expired"
	// ReasonNotConfigured: the console lacks the configuration to check
	// this kind of credential.
	ReasonNotConfigured Reason = "not_configured"
)

// Error is why Authenticate refused a request. Every *Error matches
// ErrUnauthenticated; one with ReasonNoCredentials also matches
// ErrNoCredentials. Errors Authenticate returns that are not *Error (a store
// or JWKS that cannot be reached) say nothing about the caller.
type Error struct {
	Reason Reason
	// Credential names what was refused: "service account token",
	// "recovery token", "Pomerium assertion", "authorization header".
	Credential string
	// Detail says precisely what is wrong; it never quotes the credential.
	Detail string
}

func (e *Error) Error() string {
	if e.Credential == "" {
		return e.Detail
	}
	return e.Credential + ": " + e.Detail
}

// Is makes errors.Is(err, ErrUnauthenticated) and errors.Is(err,
// ErrNoCredentials) work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthenticated:
		return true
	case ErrNoCredentials:
		return e.Reason == ReasonNoCredentials
	}
	return false
}

// Sentinels for errors.Is.
var (
	// ErrUnauthenticated matches every refusal of a credential.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrNoCredentials matches a request that carries no credential: a
	// guest, who sees nothing.
	ErrNoCredentials = errors.New("no credentials")
)

func refuse(reason Reason, credential, format string, args ...any) *Error {
	return &Error{Reason: reason, Credential: credential, Detail: fmt.Sprintf(format, args...)}
}

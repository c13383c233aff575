package enrollment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The parts of an enrollment token (Pomerium's cryptutil.SecureToken): the
// enrollment's id, the expiry in Unix milliseconds (big-endian), and an
// HMAC-SHA256 of both with the shared key.
const (
	idLength     = 16
	expiryLength = 8
	macLength    = sha256.Size
	tokenLength  = idLength + expiryLength + macLength
)

// Errors of ParseToken, as Pomerium tells them apart.
var (
	// ErrInvalidToken: not a token, or not one made with this key.
	ErrInvalidToken = errors.New("invalid enrollment token")
	// ErrExpiredToken: a token of this key whose expiry has passed.
	ErrExpiredToken = errors.New("expired enrollment token")
)

// Token is the enrollment token of the enrollment id, valid until expiry
// (to the millisecond), for a cluster whose shared key is key: what
// Pomerium's webauthnutil.NewEnrollmentToken makes, base58.
func Token(key []byte, id uuid.UUID, expiry time.Time) string {
	var t [tokenLength]byte
	copy(t[:idLength], id[:])
	binary.BigEndian.PutUint64(t[idLength:], uint64(expiry.UnixMilli()))
	copy(t[idLength+expiryLength:], tokenMAC(key, t[:idLength+expiryLength]))
	return Base58(t[:])
}

// ParseToken checks a token as Pomerium does before it lets a device
// enroll on it, and returns the enrollment's id and the token's expiry.
func ParseToken(key []byte, token string, now time.Time) (uuid.UUID, time.Time, error) {
	raw, err := FromBase58(token)
	if err != nil || len(raw) != tokenLength {
		return uuid.Nil, time.Time{}, ErrInvalidToken
	}
	if !hmac.Equal(raw[idLength+expiryLength:], tokenMAC(key, raw[:idLength+expiryLength])) {
		return uuid.Nil, time.Time{}, ErrInvalidToken
	}
	expiry := time.UnixMilli(int64(binary.BigEndian.Uint64(raw[idLength:])))
	if expiry.Before(now) {
		return uuid.Nil, expiry, fmt.Errorf("%w: it expired at %s", ErrExpiredToken, expiry.UTC().Format(time.RFC3339))
	}
	return uuid.UUID(raw[:idLength]), expiry, nil
}

func tokenMAC(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

package enrollment

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// TestTokenLayout checks a token byte by byte against the layout of
// Pomerium's cryptutil.SecureToken: id, expiry in big-endian Unix
// milliseconds, HMAC-SHA256 of both.
func TestTokenLayout(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("6b1a8e1e-3c4f-4d2a-9b7e-0f1e2d3c4b5a")
	expiry := time.UnixMilli(1_900_000_000_123)
	raw, err := FromBase58(Token(key, id, expiry))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 56 {
		t.Fatalf("a token of %d bytes, want 56", len(raw))
	}
	if !bytes.Equal(raw[:16], id[:]) {
		t.Errorf("id bytes %x, want %x", raw[:16], id[:])
	}
	if got := binary.BigEndian.Uint64(raw[16:24]); got != 1_900_000_000_123 {
		t.Errorf("expiry %d, want 1900000000123", got)
	}
	h := hmac.New(sha256.New, key)
	h.Write(raw[:24])
	if !bytes.Equal(raw[24:], h.Sum(nil)) {
		t.Errorf("mac %x, want %x", raw[24:], h.Sum(nil))
	}
}

func TestParseToken(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	now := time.Now()
	tok := Token(key, id, now.Add(time.Hour))
	got, expiry, err := ParseToken(key, tok, now)
	if err != nil || got != id || expiry.UnixMilli() != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("ParseToken = %v, %v, %v; want %v", got, expiry, err, id)
	}
	if _, _, err := ParseToken([]byte("another key of thirty-two bytes!"), tok, now); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("another key: %v", err)
	}
	if _, _, err := ParseToken(key, tok, now.Add(2*time.Hour)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("after its expiry: %v", err)
	}
	raw, _ := FromBase58(tok)
	raw[3] ^= 1
	if _, _, err := ParseToken(key, Base58(raw), now); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("another id under the same mac: %v", err)
	}
	for _, bad := range []string{"", "0OIl", Base58([]byte("short"))} {
		if _, _, err := ParseToken(key, bad, now); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ParseToken(%q) = %v", bad, err)
		}
	}
}

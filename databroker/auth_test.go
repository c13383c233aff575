package databroker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/databroker"
)

func TestToken(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("s", 32))
	now := time.Now()
	tok, err := databroker.SignToken(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := databroker.VerifyToken(secret, tok, now); err != nil {
		t.Errorf("own token refused: %v", err)
	}
	if err := databroker.VerifyToken([]byte(strings.Repeat("x", 32)), tok, now); err == nil {
		t.Error("token signed with another secret accepted")
	}
	if err := databroker.VerifyToken(secret, tok, now.Add(2*time.Minute)); err == nil {
		t.Error("expired token accepted")
	}
	if err := databroker.VerifyToken(secret, "not-a-jwt", now); err == nil {
		t.Error("garbage accepted")
	}
}

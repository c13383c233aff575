package enrollment

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// Vectors of Bitcoin Core's base58_encode_decode.json, the alphabet's
// reference.
var base58Vectors = []struct{ hex, b58 string }{
	{"", ""},
	{"61", "2g"},
	{"626262", "a3gV"},
	{"636363", "aPEr"},
	{"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
	{"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
	{"516b6fcd0f", "ABnLTmg"},
	{"bf4f89001e670274dd", "3SEo3LWLoPntC"},
	{"572e4794", "3EFU7m"},
	{"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
	{"10c8511e", "Rt5zm"},
	{"00000000000000000000", "1111111111"},
}

func TestBase58Vectors(t *testing.T) {
	t.Parallel()
	for _, v := range base58Vectors {
		raw, err := hex.DecodeString(v.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got := Base58(raw); got != v.b58 {
			t.Errorf("Base58(%s) = %q, want %q", v.hex, got, v.b58)
		}
		back, err := FromBase58(v.b58)
		if err != nil || !bytes.Equal(back, raw) {
			t.Errorf("FromBase58(%q) = %x, %v; want %s", v.b58, back, err, v.hex)
		}
	}
}

func TestBase58RoundTrips(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			if r.IntN(4) > 0 { // zeros now and then, leading ones too
				b[i] = byte(r.Uint32())
			}
		}
		back, err := FromBase58(Base58(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("%x came back as %x (%v)", b, back, err)
		}
	}
}

func TestFromBase58RefusesOtherCharacters(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "2gO", "abc l", "Rt5zm!"} {
		if _, err := FromBase58(s); err == nil {
			t.Errorf("FromBase58(%q) took it", s)
		}
	}
}

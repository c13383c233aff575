package enrollment

import (
	"fmt"
	"strings"
)

// alphabet is the Bitcoin base58 alphabet, which Pomerium uses: no 0, O,
// I or l.
const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Base58 encodes b as Pomerium writes tokens and device credential ids:
// each leading zero byte is a '1', the rest is the number b holds in base
// 58, most significant digit first.
func Base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// digits holds the number in base 58, least significant digit first;
	// each byte multiplies it by 256 and adds the byte.
	digits := make([]byte, 0, len(b)*138/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	var out strings.Builder
	out.Grow(zeros + len(digits))
	out.WriteString(strings.Repeat("1", zeros))
	for i := len(digits) - 1; i >= 0; i-- {
		out.WriteByte(alphabet[digits[i]])
	}
	return out.String()
}

// FromBase58 decodes what Base58 encodes; a character outside the alphabet
// is an error.
func FromBase58(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == alphabet[0] {
		zeros++
	}
	// out holds the number in base 256, least significant byte first.
	out := make([]byte, 0, len(s)*733/1000+1)
	for i := zeros; i < len(s); i++ {
		v := strings.IndexByte(alphabet, s[i])
		if v < 0 {
			return nil, fmt.Errorf("base58: %q at offset %d is not a base58 digit", s[i], i)
		}
		carry := v
		for j := range out {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append(out, byte(carry))
			carry >>= 8
		}
	}
	decoded := make([]byte, zeros+len(out))
	for i, c := range out {
		decoded[len(decoded)-1-i] = c
	}
	return decoded, nil
}

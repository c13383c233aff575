package manage

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
)

// cborText is a CBOR text string shorter than 24 bytes.
func cborText(s string) []byte { return append([]byte{0x60 | byte(len(s))}, s...) }

// response is a register_response as Pomerium stores it, around an
// attestation object.
func response(t *testing.T, attestationObject []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"response": map[string]string{
		"attestationObject": base64.RawURLEncoding.EncodeToString(attestationObject),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAttestationFormat(t *testing.T) {
	t.Parallel()
	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	authData := join([]byte{0x58, 37}, make([]byte, 37))
	// attStmt of a tpm attestation, abridged: alg, a certificate chain
	// (an array of byte strings) and a tagged value.
	attStmt := join([]byte{0xa3}, cborText("alg"), []byte{0x39, 0x01, 0x00}, // -257
		cborText("x5c"), []byte{0x82, 0x43, 1, 2, 3, 0x42, 4, 5},
		cborText("ver"), []byte{0xc0}, cborText("2.0"))
	for name, tc := range map[string]struct {
		obj  []byte
		want string
	}{
		"fmt first":         {join([]byte{0xa3}, cborText("fmt"), cborText("packed"), cborText("attStmt"), []byte{0xa0}, cborText("authData"), authData), "packed"},
		"fmt last":          {join([]byte{0xa3}, cborText("authData"), authData, cborText("attStmt"), attStmt, cborText("fmt"), cborText("tpm")), "tpm"},
		"not a map":         {join(cborText("fmt"), cborText("apple")), ""},
		"no fmt":            {join([]byte{0xa1}, cborText("authData"), authData), ""},
		"truncated":         {join([]byte{0xa2}, cborText("authData"), []byte{0x58, 37, 0}), ""},
		"indefinite length": {join([]byte{0xbf}, cborText("fmt"), cborText("apple"), []byte{0xff}), ""},
		"fmt not text":      {join([]byte{0xa1}, cborText("fmt"), []byte{0x01}), ""},
	} {
		if got := attestationFormat(response(t, tc.obj)); got != tc.want {
			t.Errorf("%s: format %q, want %q", name, got, tc.want)
		}
	}
	for _, junk := range [][]byte{nil, []byte("{"), []byte(`{"response":{"attestationObject":"!!"}}`)} {
		if got := attestationFormat(junk); got != "" {
			t.Errorf("format of %q: %q", junk, got)
		}
	}
}

func TestCheckWebAuthnOptions(t *testing.T) {
	t.Parallel()
	es256 := []*devicepb.WebAuthnOptions_PublicKeyCredentialParameters{{Type: devicepb.WebAuthnOptions_PUBLIC_KEY, Alg: coseES256}}
	o := &devicepb.WebAuthnOptions{PubKeyCredParams: es256}
	if err := checkWebAuthnOptions(o); err != nil || o.GetAuthenticatorSelection() == nil {
		t.Errorf("options without selection criteria: %v, criteria %v (Pomerium needs them set)", err, o.GetAuthenticatorSelection())
	}
	unknownAttachment := devicepb.WebAuthnOptions_AuthenticatorAttachment(7)
	for want, opts := range map[string]*devicepb.WebAuthnOptions{
		"authenticator_selection.authenticator_attachment": {PubKeyCredParams: es256,
			AuthenticatorSelection: &devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{AuthenticatorAttachment: &unknownAttachment}},
		"pub_key_cred_params[1].type": {PubKeyCredParams: append(es256[:1:1], &devicepb.WebAuthnOptions_PublicKeyCredentialParameters{Type: 5, Alg: coseES256})},
		"pub_key_cred_params[0].alg":  {PubKeyCredParams: []*devicepb.WebAuthnOptions_PublicKeyCredentialParameters{{Type: devicepb.WebAuthnOptions_PUBLIC_KEY, Alg: 7}}},
		"pub_key_cred_params: name":   {},
	} {
		err := checkWebAuthnOptions(opts)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("options %v: %v, want an error about %s", opts, err, want)
		}
	}
}

package manage

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
)

// The COSE algorithms of Pomerium's built-in device types.
const (
	coseES256 int64 = -7
	coseRS256 int64 = -257
	coseRS1   int64 = -65535
)

// DeviceAlgorithm is a COSE algorithm a device may sign with.
type DeviceAlgorithm struct {
	ID   int64
	Name string
}

// DeviceAlgorithms are the COSE algorithms Pomerium's WebAuthn relying
// party verifies (github.com/pomerium/webauthn/cose): what a device type
// may offer.
var DeviceAlgorithms = []DeviceAlgorithm{
	{coseES256, "ES256"}, {-35, "ES384"}, {-36, "ES512"}, {-8, "EdDSA"},
	{-37, "PS256"}, {-38, "PS384"}, {-39, "PS512"},
	{coseRS256, "RS256"}, {-258, "RS384"}, {-259, "RS512"}, {coseRS1, "RS1"},
}

// checkWebAuthnOptions validates a device type's WebAuthn options and
// completes them where Pomerium would fail.
func checkWebAuthnOptions(o *devicepb.WebAuthnOptions) error {
	if o.Attestation != nil && !definedEnum(o.Attestation) {
		return invalid("attestation", "%d is no attestation conveyance preference", *o.Attestation)
	}
	sel := o.GetAuthenticatorSelection()
	if sel == nil {
		// Pomerium v0.33 reads the criteria without a nil check
		// (webauthnutil.fillAuthenticatorSelection): a type without them
		// would crash its registration page.
		sel = &devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{}
		o.AuthenticatorSelection = sel
	}
	switch {
	case sel.AuthenticatorAttachment != nil && !definedEnum(sel.AuthenticatorAttachment):
		return invalid("authenticator_selection.authenticator_attachment", "%d is no authenticator attachment", *sel.AuthenticatorAttachment)
	case sel.ResidentKeyRequirement != nil && !definedEnum(sel.ResidentKeyRequirement):
		return invalid("authenticator_selection.resident_key_requirement", "%d is no resident key requirement", *sel.ResidentKeyRequirement)
	case sel.UserVerification != nil && !definedEnum(sel.UserVerification):
		return invalid("authenticator_selection.user_verification", "%d is no user verification requirement", *sel.UserVerification)
	}
	if len(o.GetPubKeyCredParams()) == 0 {
		return invalid("pub_key_cred_params", "name at least one algorithm a device may sign with, e.g. ES256 (-7)")
	}
	for i, p := range o.GetPubKeyCredParams() {
		field := indexed("pub_key_cred_params", i)
		if p.GetType() != devicepb.WebAuthnOptions_PUBLIC_KEY {
			return invalid(field+".type", "must be PUBLIC_KEY, the only type of WebAuthn credential")
		}
		if !slices.ContainsFunc(DeviceAlgorithms, func(a DeviceAlgorithm) bool { return a.ID == p.GetAlg() }) {
			return invalid(field+".alg", "%d is not a COSE algorithm Pomerium verifies; use one of %s", p.GetAlg(), algorithmNames())
		}
	}
	return nil
}

// definedEnum reports whether an enum's value is one its type defines.
func definedEnum(e protoreflect.Enum) bool {
	return e.Descriptor().Values().ByNumber(e.Number()) != nil
}

// algorithmNames lists the COSE algorithms Pomerium verifies: "ES256
// (-7), …".
func algorithmNames() string {
	out := make([]string, len(DeviceAlgorithms))
	for i, a := range DeviceAlgorithms {
		out[i] = fmt.Sprintf("%s (%d)", a.Name, a.ID)
	}
	return strings.Join(out, ", ")
}

// attestationFormat reads the attestation statement format ("packed",
// "tpm", "apple", "android-key", "fido-u2f", "none", …) of a WebAuthn
// registration as Pomerium stores it (Credential.webauthn.register_response:
// the credential as JSON, its attestation object in unpadded URL-safe
// base64). Anything it cannot read is "".
func attestationFormat(registerResponse []byte) string {
	var cred struct {
		Response struct {
			AttestationObject string `json:"attestationObject"`
		} `json:"response"`
	}
	if len(registerResponse) == 0 || json.Unmarshal(registerResponse, &cred) != nil {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(cred.Response.AttestationObject, "="))
	if err != nil {
		return ""
	}
	format, err := cborTextEntry(raw, "fmt")
	if err != nil {
		return ""
	}
	return format
}

// cborTextEntry reads the text value of key in a CBOR map with text keys
// (an attestation object), skipping the other entries. Indefinite lengths,
// which attestation objects do not use, are refused.
func cborTextEntry(b []byte, key string) (string, error) {
	r := bytes.NewReader(b)
	major, n, err := cborHead(r)
	if err != nil || major != 5 {
		return "", errors.New("not a CBOR map")
	}
	for range n {
		major, klen, err := cborHead(r)
		if err != nil {
			return "", err
		}
		if major != 3 {
			if err := cborSkipBody(r, major, klen); err != nil {
				return "", err
			}
			if err := cborSkip(r); err != nil {
				return "", err
			}
			continue
		}
		k, err := cborBytes(r, klen)
		if err != nil {
			return "", err
		}
		if string(k) != key {
			if err := cborSkip(r); err != nil {
				return "", err
			}
			continue
		}
		major, vlen, err := cborHead(r)
		if err != nil || major != 3 {
			return "", errors.New("the value is not text")
		}
		v, err := cborBytes(r, vlen)
		return string(v), err
	}
	return "", errors.New("no such key")
}

// cborHead reads the head of a CBOR item: its major type and argument.
func cborHead(r *bytes.Reader) (major byte, arg uint64, err error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	major, info := first>>5, first&0x1f
	switch {
	case info < 24:
		return major, uint64(info), nil
	case info > 27:
		return 0, 0, errors.New("indefinite or reserved CBOR length")
	}
	var buf [8]byte
	size := 1 << (info - 24)
	if _, err := io.ReadFull(r, buf[8-size:]); err != nil {
		return 0, 0, err
	}
	return major, binary.BigEndian.Uint64(buf[:]), nil
}

// cborSkip skips one CBOR item.
func cborSkip(r *bytes.Reader) error {
	major, arg, err := cborHead(r)
	if err != nil {
		return err
	}
	return cborSkipBody(r, major, arg)
}

// cborSkipBody skips what follows the head of an item.
func cborSkipBody(r *bytes.Reader, major byte, arg uint64) error {
	switch major {
	case 2, 3:
		_, err := cborBytes(r, arg)
		return err
	case 4, 5:
		items := arg
		if major == 5 {
			items *= 2
		}
		for range items {
			if err := cborSkip(r); err != nil {
				return err
			}
		}
	case 6:
		return cborSkip(r)
	}
	return nil
}

// cborBytes reads the n bytes of a byte or text string.
func cborBytes(r *bytes.Reader, n uint64) ([]byte, error) {
	if n > uint64(r.Len()) {
		return nil, io.ErrUnexpectedEOF
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

package convert

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
)

// Every field of a device type is converted or listed as not taken, and
// the WebAuthn options go to Pomerium's record and back unchanged.
func TestDeviceTypeRoundTrip(t *testing.T) {
	t.Parallel()
	byHand := map[string]bool{"id": true, "name": true, "webauthn": true}
	fields := (&pb.DeviceType{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		name := string(fields.Get(i).Name())
		if _, listed := DeviceTypeUnconverted[name]; !byHand[name] && !listed {
			t.Errorf("DeviceType.%s is neither converted nor listed in DeviceTypeUnconverted", name)
		}
	}
	in := &pb.DeviceType{Id: "keys", Name: "Keys", Specifier: &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: &pb.WebAuthnOptions{
		Attestation: pb.WebAuthnOptions_ENTERPRISE.Enum(),
		AuthenticatorSelection: &pb.WebAuthnOptions_AuthenticatorSelectionCriteria{
			AuthenticatorAttachment: pb.WebAuthnOptions_CROSS_PLATFORM.Enum(), RequireResidentKey: proto.Bool(false),
			ResidentKeyRequirement: pb.WebAuthnOptions_RESIDENT_KEY_REQUIRED.Enum(), UserVerification: pb.WebAuthnOptions_USER_VERIFICATION_DISCOURAGED.Enum(),
		},
		PubKeyCredParams: []*pb.WebAuthnOptions_PublicKeyCredentialParameters{{Type: pb.WebAuthnOptions_PUBLIC_KEY, Alg: -8}, {Alg: -257}},
	}}}}
	rec, err := DeviceTypeToRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	back := DeviceTypeFromRecord(&manage.DeviceType{Type: rec})
	if !proto.Equal(in, back) {
		t.Errorf("round trip:\nin   %v\nback %v", in, back)
	}
	unknown := pb.WebAuthnOptions_UserVerificationRequirement(9)
	in.GetWebauthn().GetOptions().GetAuthenticatorSelection().UserVerification = &unknown
	if _, err := DeviceTypeToRecord(in); err == nil || err.Error() != "type.webauthn.options.authenticator_selection.user_verification: value 9 is not a known UserVerificationRequirement" {
		t.Errorf("an unknown user verification: %v", err)
	}
}

func TestDeviceKind(t *testing.T) {
	t.Parallel()
	for format, want := range map[string]pb.DeviceKind{
		"fido-u2f": pb.DeviceKind_FIDO_U2F, "android-key": pb.DeviceKind_ANDROID, "android-safetynet": pb.DeviceKind_ANDROID,
		"apple": pb.DeviceKind_APPLE, "tpm": pb.DeviceKind_TPM, "packed": pb.DeviceKind_UNKNOWN, "none": pb.DeviceKind_UNKNOWN, "": pb.DeviceKind_UNKNOWN,
	} {
		if got := DeviceKind(format); got != want {
			t.Errorf("DeviceKind(%q) = %v, want %v", format, got, want)
		}
	}
}

package convert

import (
	"cmp"
	"time"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage"
)

// DeviceTypeUnconverted are the fields of pomerium.dashboard.DeviceType
// not taken from input, with the reason.
var DeviceTypeUnconverted = map[string]string{
	"created_at":  "Pomerium's records keep no creation time",
	"modified_at": "the databroker keeps when the record was written",
	"deleted_at":  "a deleted type is not shown",
}

// DeviceTypeToRecord converts a device type of the API into Pomerium's
// record. The WebAuthn options are Pomerium's field for field; a value an
// enum of Pomerium's does not define is refused.
func DeviceTypeToRecord(t *pb.DeviceType) (*devicepb.Type, error) {
	out := &devicepb.Type{Id: t.GetId(), Name: t.GetName()}
	if o := t.GetWebauthn().GetOptions(); o != nil {
		opts := &devicepb.WebAuthnOptions{}
		if err := inputCopier("type.webauthn.options", nil, nil).copy(opts, o); err != nil {
			return nil, err
		}
		out.Specifier = &devicepb.Type_Webauthn{Webauthn: &devicepb.Type_WebAuthn{Options: opts}}
	}
	return out, nil
}

// DeviceTypeFromRecord converts a device type of a cluster for the API.
func DeviceTypeFromRecord(t *manage.DeviceType) *pb.DeviceType {
	out := &pb.DeviceType{Id: t.GetId(), Name: t.GetName(), ModifiedAt: Timestamp(t.ModifiedAt)}
	if o := t.GetWebauthn().GetOptions(); o != nil {
		opts := &pb.WebAuthnOptions{}
		outputCopier(nil).mustCopy(opts, o)
		out.Specifier = &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: opts}}
	}
	return out
}

// EnrollmentFromRecord converts a device enrollment of a cluster for the
// API. Pomerium's records keep no approval time; created_at is when the
// device enrolled, modified_at when the record was last written.
func EnrollmentFromRecord(e *devicepb.Enrollment, clusterID string, modified time.Time) *pb.DeviceEnrollment {
	if e == nil {
		return nil
	}
	return &pb.DeviceEnrollment{
		Id: e.GetId(), CreatedAt: e.GetEnrolledAt(), ModifiedAt: Timestamp(modified),
		DeviceTypeId: e.GetTypeId(), DeviceCredentialId: e.GetCredentialId(), UserId: e.GetUserId(),
		ApprovedByUserId: e.GetApprovedBy(), EnrolledAt: e.GetEnrolledAt(),
		UserAgent: e.GetUserAgent(), IpAddress: e.GetIpAddress(), ClusterId: optional(clusterID),
	}
}

// CredentialFromRecord converts a device credential of a cluster for the
// API, with its WebAuthn data as Pomerium stored it.
func CredentialFromRecord(c *devicepb.Credential, clusterID string, created, modified time.Time) *pb.DeviceCredential {
	if c == nil {
		return nil
	}
	out := &pb.DeviceCredential{
		Id: c.GetId(), CreatedAt: Timestamp(created), ModifiedAt: Timestamp(modified),
		DeviceTypeId: c.GetTypeId(), DeviceEnrollmentId: c.GetEnrollmentId(), UserId: c.GetUserId(),
		ClusterId: optional(clusterID),
	}
	if w := c.GetWebauthn(); w != nil {
		out.Specifier = &pb.DeviceCredential_Webauthn{Webauthn: &pb.DeviceCredential_WebAuthn{
			Id: w.GetId(), PublicKey: w.GetPublicKey(), RegisterOptions: w.GetRegisterOptions(),
			RegisterResponse: w.GetRegisterResponse(), AuthenticateResponse: w.GetAuthenticateResponse(),
		}}
	}
	return out
}

// DeviceFromRecords converts a device of a cluster for the API. Its kind
// comes from the attestation format it registered with; WINDOWS is never
// answered: Windows Hello attests as "tpm" or "packed", like other
// authenticators, and telling it apart would take a registry of
// authenticator models.
func DeviceFromRecords(d *manage.Device) *pb.ListDevicesResponse_Device {
	var created time.Time
	if at := d.Enrollment.GetEnrolledAt(); at != nil {
		created = at.AsTime()
	}
	return &pb.ListDevicesResponse_Device{
		Type:               DeviceTypeFromRecord(d.Type),
		Credential:         CredentialFromRecord(d.Credential, d.ClusterID, created, d.CredentialModifiedAt),
		Enrollment:         EnrollmentFromRecord(d.Enrollment, d.ClusterID, d.EnrollmentModifiedAt),
		Kind:               DeviceKind(d.AttestationFormat()),
		UserName:           cmp.Or(d.User.Name, d.User.Email),
		ApprovedByUserName: cmp.Or(d.ApprovedBy.Name, d.ApprovedBy.Email),
	}
}

// DeviceKind is the kind of device a WebAuthn attestation format tells.
func DeviceKind(attestationFormat string) pb.DeviceKind {
	switch attestationFormat {
	case "fido-u2f":
		return pb.DeviceKind_FIDO_U2F
	case "android-key", "android-safetynet":
		return pb.DeviceKind_ANDROID
	case "apple":
		return pb.DeviceKind_APPLE
	case "tpm":
		return pb.DeviceKind_TPM
	}
	return pb.DeviceKind_UNKNOWN
}

package e2e

import (
	"testing"
	"time"

	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
)

// seedDevices writes into the default cluster's databroker, as Pomerium's
// registration does, a security key of alice's (approved by the
// administrator), a Mac of bob's of type enclave_only, an enrollment of
// carol's that no device has used, and a device type of the cluster's own.
// It returns the credential id of alice's key.
func (c *console) seedDevices(t *testing.T) string {
	t.Helper()
	var records []*databrokerpb.Record
	add := func(recordType, id string, m proto.Message) {
		data, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, &databrokerpb.Record{Type: "type.googleapis.com/pomerium.device." + recordType, Id: id, Data: data})
	}
	device := func(user, typeID, approver, agent string, enrolled time.Time) string {
		raw := []byte(uuid.NewString())
		credID := enrollment.Base58(raw)
		enr := &devicepb.Enrollment{Id: uuid.NewString(), TypeId: typeID, UserId: user, CredentialId: credID, ApprovedBy: approver,
			EnrolledAt: timestamppb.New(enrolled), UserAgent: agent, IpAddress: "192.0.2.10"}
		add("Enrollment", enr.GetId(), enr)
		add("Credential", credID, &devicepb.Credential{Id: credID, TypeId: typeID, EnrollmentId: enr.GetId(), UserId: user,
			Specifier: &devicepb.Credential_Webauthn{Webauthn: &devicepb.Credential_WebAuthn{Id: raw, PublicKey: []byte("public key")}}})
		return credID
	}
	now := time.Now()
	alice := device("u-alice", "any", "user-"+webtest.Admin, "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", now.Add(-26*time.Hour))
	device("u-bob", "enclave_only", "", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15", now.Add(-3*time.Hour))
	pending := uuid.NewString()
	add("Enrollment", pending, &devicepb.Enrollment{Id: pending, TypeId: "laptops", UserId: "u-carol"})
	add("Type", "laptops", &devicepb.Type{Id: "laptops", Name: "Company laptops", Specifier: &devicepb.Type_Webauthn{Webauthn: &devicepb.Type_WebAuthn{
		Options: &devicepb.WebAuthnOptions{
			AuthenticatorSelection: &devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{AuthenticatorAttachment: devicepb.WebAuthnOptions_PLATFORM.Enum()},
			PubKeyCredParams:       []*devicepb.WebAuthnOptions_PublicKeyCredentialParameters{{Alg: -7}},
		},
	}}})
	if _, err := c.broker.Put(t.Context(), records); err != nil {
		t.Fatal(err)
	}
	return alice
}

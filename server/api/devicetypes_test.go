package api_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// typeNames is the id and name of each type of a list, in order.
func typeNames(res *pb.ListDeviceTypesResponse) [][2]string {
	var out [][2]string
	for _, t := range res.GetTypes() {
		out = append(out, [2]string{t.GetId(), t.GetName()})
	}
	return out
}

func TestDeviceTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tr := range transports {
		api := e.deviceAPI(tr, e.adminToken(), "")
		res, err := api.types(e.ctx, &pb.ListDeviceTypesRequest{})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		if got := typeNames(res); len(got) < 2 || got[0] != [2]string{"any", "Any"} || got[1] != [2]string{"enclave_only", "Secure Enclave Only"} {
			t.Fatalf("%s: types %v, want the built-in types first", tr, got)
		}
		sel := res.GetTypes()[1].GetWebauthn().GetOptions().GetAuthenticatorSelection()
		if sel.GetAuthenticatorAttachment() != pb.WebAuthnOptions_PLATFORM || !sel.GetRequireResidentKey() {
			t.Errorf("%s: enclave_only's criteria: %v", tr, sel)
		}
		if n := len(res.GetTypes()[0].GetWebauthn().GetOptions().GetPubKeyCredParams()); n != 3 {
			t.Errorf("%s: any takes %d algorithms, want ES256, RS256 and RS1", tr, n)
		}
	}
	api := e.deviceAPI("grpc", e.adminToken(), "")

	// Created without an id, the type gets one; without options, those
	// of any.
	created, err := api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: &pb.DeviceType{Name: " YubiKeys "}})
	if err != nil {
		t.Fatal(err)
	}
	keys := created.GetType()
	if keys.GetId() == "" || keys.GetName() != "YubiKeys" || len(keys.GetWebauthn().GetOptions().GetPubKeyCredParams()) != 3 || keys.GetModifiedAt() == nil {
		t.Errorf("created %v", keys)
	}
	var stored devicepb.Type
	if r := rawRecord(t, e.broker, deviceTypeType, keys.GetId()); r == nil || r.GetData().UnmarshalTo(&stored) != nil || stored.GetName() != "YubiKeys" ||
		stored.GetWebauthn().GetOptions().GetAuthenticatorSelection() == nil {
		t.Errorf("the type record: %v", &stored)
	}
	// Set with its id, it changes; with an id of one's own, it is created
	// under that id.
	roaming := pb.WebAuthnOptions_CROSS_PLATFORM
	required := pb.WebAuthnOptions_USER_VERIFICATION_REQUIRED
	changed := &pb.DeviceType{Id: keys.GetId(), Name: "Security keys", Specifier: &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: &pb.WebAuthnOptions{
		AuthenticatorSelection: &pb.WebAuthnOptions_AuthenticatorSelectionCriteria{AuthenticatorAttachment: &roaming, UserVerification: &required},
		PubKeyCredParams:       []*pb.WebAuthnOptions_PublicKeyCredentialParameters{{Type: pb.WebAuthnOptions_PUBLIC_KEY, Alg: -8}},
	}}}}
	if _, err := e.deviceAPI("connect-json", e.adminToken(), "").setType(e.ctx, &pb.SetDeviceTypeRequest{Type: changed}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: &pb.DeviceType{Id: "laptops", Name: "Laptops"}}); err != nil {
		t.Fatal(err)
	}
	res, err := api.types(e.ctx, &pb.ListDeviceTypesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"any", "Any"}, {"enclave_only", "Secure Enclave Only"}, {"laptops", "Laptops"}, {keys.GetId(), "Security keys"}}
	if got := typeNames(res); len(got) != 4 || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("types %v, want %v", got, want)
	}
	if !proto.Equal(res.GetTypes()[3].GetWebauthn(), changed.GetWebauthn()) {
		t.Errorf("the changed type's options: %v", res.GetTypes()[3].GetWebauthn())
	}

	bad := func(t0 *pb.DeviceType) error {
		_, err := api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: t0})
		return err
	}
	withParams := func(p ...*pb.WebAuthnOptions_PublicKeyCredentialParameters) *pb.DeviceType {
		return &pb.DeviceType{Name: "x", Specifier: &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: &pb.WebAuthnOptions{PubKeyCredParams: p}}}}
	}
	wantCode(t, "a type without a name", bad(&pb.DeviceType{Name: "  "}), connect.CodeInvalidArgument, "type.name: is required")
	wantCode(t, "an id with a space", bad(&pb.DeviceType{Id: "my type", Name: "x"}), connect.CodeInvalidArgument, "type.id")
	wantCode(t, "no algorithm", bad(withParams()), connect.CodeInvalidArgument, "type.webauthn.options.pub_key_cred_params")
	wantCode(t, "an unknown algorithm", bad(withParams(&pb.WebAuthnOptions_PublicKeyCredentialParameters{Type: pb.WebAuthnOptions_PUBLIC_KEY, Alg: 42})),
		connect.CodeInvalidArgument, "type.webauthn.options.pub_key_cred_params[0].alg: 42 is not a COSE algorithm")
	unknownAttestation := pb.WebAuthnOptions_AttestationConveyancePreference(9)
	wantCode(t, "an unknown attestation", bad(&pb.DeviceType{Name: "x", Specifier: &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: &pb.WebAuthnOptions{Attestation: &unknownAttestation}}}}),
		connect.CodeInvalidArgument, "type.webauthn.options.attestation")
	wantCode(t, "no type", bad(nil), connect.CodeInvalidArgument, "type: is required")

	// Built-in types cannot be deleted; a record overriding one can, and
	// the built-in is back.
	_, err = api.delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: "enclave_only"})
	wantCode(t, "delete a built-in type", err, connect.CodeFailedPrecondition, "built into Pomerium")
	if _, err := api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: &pb.DeviceType{Id: "any", Name: "Anything at all"}}); err != nil {
		t.Fatal(err)
	}
	if res, err := api.types(e.ctx, &pb.ListDeviceTypesRequest{}); err != nil || typeNames(res)[0] != [2]string{"any", "Anything at all"} || len(res.GetTypes()) != 4 {
		t.Errorf("types with any overridden: %v, %v", typeNames(res), err)
	}
	if _, err := api.delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: "any"}); err != nil {
		t.Fatalf("delete the record overriding any: %v", err)
	}
	if res, err := api.types(e.ctx, &pb.ListDeviceTypesRequest{}); err != nil || typeNames(res)[0] != [2]string{"any", "Any"} {
		t.Errorf("types once the override is gone: %v, %v", typeNames(res), err)
	}

	// A type devices use is refused; an unused one goes.
	register(t, e.broker, &userpb.User{Id: "dana-id", Email: "dana@example.com"}, "laptops", "packed", time.Now())
	_, err = api.delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: "laptops"})
	wantCode(t, "delete a type in use", err, connect.CodeFailedPrecondition, "used by 1 device;")
	if _, err := e.deviceAPI("connect-json", e.adminToken(), "").delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: keys.GetId()}); err != nil {
		t.Fatal(err)
	}
	if rawRecord(t, e.broker, deviceTypeType, keys.GetId()) != nil {
		t.Error("the deleted type's record is still there")
	}
	_, err = api.delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: keys.GetId()})
	wantCode(t, "delete a deleted type", err, connect.CodeNotFound, "type_id")

	var actions []store.Action
	for _, n := range e.deviceNotes(store.EntityDeviceType) {
		actions = append(actions, n.Action)
		if n.NamespaceID != store.GlobalNamespaceID || n.Snapshot == "" {
			t.Errorf("activity entry %+v", n)
		}
	}
	wantActions := []store.Action{store.ActionSet, store.ActionSet, store.ActionSet, store.ActionSet, store.ActionDelete, store.ActionDelete}
	if len(actions) != len(wantActions) {
		t.Errorf("activity entries about device types: %v, want %v", actions, wantActions)
	}
}

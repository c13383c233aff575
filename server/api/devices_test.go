package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/store"
)

const (
	deviceTypeType       = "type.googleapis.com/pomerium.device.Type"
	deviceEnrollmentType = "type.googleapis.com/pomerium.device.Enrollment"
	deviceCredentialType = "type.googleapis.com/pomerium.device.Credential"
	ownerCredentialType  = "type.googleapis.com/pomerium.device.OwnerCredentialRecord"
)

// deviceAPI is DeviceService through one client. Its calls without a
// cluster_id name the cluster in the Cluster-Id header (none: the default
// cluster).
type deviceAPI struct {
	list    rpc[pb.ListDevicesRequest, pb.ListDevicesResponse]
	approve rpc[pb.ApproveDeviceRequest, emptypb.Empty]
	del     rpc[pb.DeleteDeviceRequest, emptypb.Empty]
	types   rpc[pb.ListDeviceTypesRequest, pb.ListDeviceTypesResponse]
	setType rpc[pb.SetDeviceTypeRequest, pb.SetDeviceTypeResponse]
	delType rpc[pb.DeleteDeviceTypeRequest, emptypb.Empty]
	enroll  rpc[pb.CreateDeviceEnrollmentRequest, pb.CreateDeviceEnrollmentResponse]
}

func (e *env) deviceAPI(transport, token, cluster string) deviceAPI {
	if transport == "grpc" {
		c := pb.NewDeviceServiceClient(e.conn)
		in := func(ctx context.Context) context.Context {
			if cluster == "" {
				return ctx
			}
			return metadata.AppendToOutgoingContext(ctx, "cluster-id", cluster)
		}
		return deviceAPI{
			viaGRPC(token, c.ListDevices), inCluster(in, viaGRPC(token, c.ApproveDevice)), inCluster(in, viaGRPC(token, c.DeleteDevice)),
			inCluster(in, viaGRPC(token, c.ListDeviceTypes)), inCluster(in, viaGRPC(token, c.SetDeviceType)),
			inCluster(in, viaGRPC(token, c.DeleteDeviceType)), inCluster(in, viaGRPC(token, c.CreateDeviceEnrollment)),
		}
	}
	opts := connectOpts(token)
	if cluster != "" {
		opts = append(opts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Cluster-Id", cluster)
				return next(ctx, req)
			}
		})))
	}
	c := dashboardpbconnect.NewDeviceServiceClient(e.http, e.url, opts...)
	return deviceAPI{
		viaConnect(c.ListDevices), viaConnect(c.ApproveDevice), viaConnect(c.DeleteDevice), viaConnect(c.ListDeviceTypes),
		viaConnect(c.SetDeviceType), viaConnect(c.DeleteDeviceType), viaConnect(c.CreateDeviceEnrollment),
	}
}

func inCluster[Req, Res any](in func(context.Context) context.Context, f rpc[Req, Res]) rpc[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) { return f(in(ctx), req) }
}

// cborText and cborBytes encode a CBOR text or byte string shorter than
// 256 bytes.
func cborText(s string) []byte { return cborString(0x60, []byte(s)) }

func cborBytes(b []byte) []byte { return cborString(0x40, b) }

func cborString(major byte, b []byte) []byte {
	if len(b) < 24 {
		return append([]byte{major | byte(len(b))}, b...)
	}
	return append([]byte{major | 24, byte(len(b))}, b...)
}

// registerResponse is a WebAuthn registration as Pomerium stores it
// (Credential.webauthn.register_response), whose attestation object names
// format after its other entries.
func registerResponse(rawID []byte, format string) []byte {
	obj := []byte{0xa3}
	obj = append(obj, cborText("authData")...)
	obj = append(obj, cborBytes(make([]byte, 37))...)
	obj = append(obj, cborText("attStmt")...)
	obj = append(obj, 0xa2)
	obj = append(obj, cborText("alg")...)
	obj = append(obj, 0x26) // -7
	obj = append(obj, cborText("sig")...)
	obj = append(obj, cborBytes(make([]byte, 70))...)
	obj = append(obj, cborText("fmt")...)
	obj = append(obj, cborText(format)...)
	out, _ := json.Marshal(map[string]any{
		"id": base64.RawURLEncoding.EncodeToString(rawID), "type": "public-key", "rawId": base64.RawURLEncoding.EncodeToString(rawID),
		"response": map[string]string{
			"clientDataJSON":    base64.RawURLEncoding.EncodeToString([]byte(`{"type":"webauthn.create"}`)),
			"attestationObject": base64.RawURLEncoding.EncodeToString(obj),
		},
	})
	return out
}

// registered is a device as Pomerium's handleRegister writes it.
type registered struct {
	credentialID, enrollmentID string
}

// register writes into b the records Pomerium's registration writes for a
// device of user (whose user record it creates or extends) of typeID: the
// credential (id the base58 of the WebAuthn credential id), a new
// enrollment, the owner credential record, the credential id on the user
// record and on the user's session. The enrollment's data carries a field
// this console does not know, as a newer Pomerium's might.
func register(t *testing.T, b *databroker.Client, user *userpb.User, typeID, format string, enrolled time.Time) registered {
	t.Helper()
	rawID := []byte(uuid.NewString())
	credID := enrollment.Base58(rawID)
	enr := &devicepb.Enrollment{
		Id: uuid.NewString(), TypeId: typeID, UserId: user.GetId(), CredentialId: credID,
		EnrolledAt: timestamppb.New(enrolled), UserAgent: "Mozilla/5.0 test", IpAddress: "192.0.2.7",
	}
	cred := &devicepb.Credential{Id: credID, TypeId: typeID, EnrollmentId: enr.GetId(), UserId: user.GetId(),
		Specifier: &devicepb.Credential_Webauthn{Webauthn: &devicepb.Credential_WebAuthn{
			Id: rawID, PublicKey: []byte("public key of " + credID), RegisterOptions: []byte(`{"challenge":"x"}`),
			RegisterResponse: registerResponse(rawID, format),
		}}}
	user.DeviceCredentialIds = append(user.DeviceCredentialIds, credID)
	enrData, err := anypb.New(enr)
	if err != nil {
		t.Fatal(err)
	}
	enrData.Value = protowire.AppendBytes(protowire.AppendTag(enrData.Value, 99, protowire.BytesType), []byte("newer field"))
	put := func(recordType, id string, data *anypb.Any) {
		t.Helper()
		if _, err := b.Put(context.Background(), []*databrokerpb.Record{{Type: recordType, Id: id, Data: data}}); err != nil {
			t.Fatal(err)
		}
	}
	put(deviceEnrollmentType, enr.GetId(), enrData)
	putRecords(t, b, deviceCredentialType, map[string]proto.Message{credID: cred})
	putRecords(t, b, ownerCredentialType, map[string]proto.Message{credID: &devicepb.OwnerCredentialRecord{Id: rawID, OwnerId: []byte(user.GetId()), PublicKey: cred.GetWebauthn().GetPublicKey()}})
	putRecords(t, b, userType, map[string]proto.Message{user.GetId(): user})
	ses := pomeriumSession("session-"+credID, user.GetId(), user.GetEmail(), enrolled)
	ses.DeviceCredentials = []*sessionpb.Session_DeviceCredential{{TypeId: typeID, Credential: &sessionpb.Session_DeviceCredential_Id{Id: credID}}}
	putRecords(t, b, sessionType, map[string]proto.Message{ses.GetId(): ses})
	return registered{credentialID: credID, enrollmentID: enr.GetId()}
}

// fleetOfDevices is what seedDevices wrote.
type fleetOfDevices struct {
	alice, bob         *userpb.User
	aliceKey, aliceMac registered
	bobPhone           registered
	// pending is an enrollment no device has used yet, of carol's.
	pending string
}

// seedDevices writes into b two devices of alice (a security key of the
// any type, approved by the user "admin-id"; a Mac of enclave_only) and
// an Android phone of bob, and an enrollment of carol's that no device has
// used yet.
func seedDevices(t *testing.T, b *databroker.Client) *fleetOfDevices {
	t.Helper()
	now := time.Now()
	f := &fleetOfDevices{
		alice: &userpb.User{Id: "alice-id", Name: "Alice Liddell", Email: "alice@example.com"},
		bob:   &userpb.User{Id: "bob-id", Name: "Bob", Email: "bob@example.com"},
	}
	putRecords(t, b, userType, map[string]proto.Message{"admin-id": &userpb.User{Id: "admin-id", Name: "Ada Admin", Email: "ada@example.com"}})
	f.aliceKey = register(t, b, f.alice, "any", "fido-u2f", now.Add(-2*time.Hour))
	f.aliceMac = register(t, b, f.alice, "enclave_only", "apple", now.Add(-time.Hour))
	f.bobPhone = register(t, b, f.bob, "any", "android-key", now.Add(-3*time.Hour))
	approve := &devicepb.Enrollment{ApprovedBy: "admin-id"}
	data, err := anypb.New(approve)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RPC().Patch(context.Background(), &databrokerpb.PatchRequest{
		Records:   []*databrokerpb.Record{{Type: deviceEnrollmentType, Id: f.aliceKey.enrollmentID, Data: data}},
		FieldMask: &fieldmaskpb.FieldMask{Paths: []string{"approved_by"}},
	}); err != nil {
		t.Fatal(err)
	}
	f.pending = uuid.NewString()
	putRecords(t, b, deviceEnrollmentType, map[string]proto.Message{f.pending: &devicepb.Enrollment{Id: f.pending, TypeId: "any", UserId: "carol-id"}})
	return f
}

// rawRecord reads a record of b; nil when there is none.
func rawRecord(t *testing.T, b *databroker.Client, recordType, id string) *databrokerpb.Record {
	t.Helper()
	res, err := b.RPC().Get(context.Background(), &databrokerpb.GetRequest{Type: recordType, Id: id})
	if status.Code(err) == codes.NotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return res.GetRecord()
}

// enrollmentOf reads an enrollment record of b, keeping the fields this
// console does not know.
func enrollmentOf(t *testing.T, b *databroker.Client, id string) *devicepb.Enrollment {
	t.Helper()
	r := rawRecord(t, b, deviceEnrollmentType, id)
	if r == nil {
		return nil
	}
	var e devicepb.Enrollment
	if err := anypb.UnmarshalTo(r.GetData(), &e, proto.UnmarshalOptions{}); err != nil {
		t.Fatal(err)
	}
	return &e
}

// deviceNotes are the activity log's entries about devices and device
// types, oldest first.
func (e *env) deviceNotes(kind store.Kind) []*store.ActivityEntry {
	e.t.Helper()
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityType: kind, Ascending: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Entries
}

// listed is a device of a ListDevices answer in a few words.
type listed struct {
	credential, enrollment, user, userName, typeName, approvedBy, approver string
	kind                                                                   pb.DeviceKind
}

func listedOf(res *pb.ListDevicesResponse) map[string]listed {
	out := map[string]listed{}
	for _, d := range res.GetDevices() {
		l := listed{
			credential: d.GetCredential().GetId(), enrollment: d.GetEnrollment().GetId(), user: d.GetEnrollment().GetUserId(),
			userName: d.GetUserName(), typeName: d.GetType().GetName(), approvedBy: d.GetEnrollment().GetApprovedByUserId(),
			approver: d.GetApprovedByUserName(), kind: d.GetKind(),
		}
		out[l.credential+l.enrollment] = l
	}
	return out
}

func TestListDevices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := seedDevices(t, e.broker)
	tok := e.adminToken()
	for _, tr := range transports {
		api := e.deviceAPI(tr, tok, "")
		res, err := api.list(e.ctx, &pb.ListDevicesRequest{})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		got := listedOf(res)
		want := map[string]listed{
			f.aliceKey.credentialID + f.aliceKey.enrollmentID: {f.aliceKey.credentialID, f.aliceKey.enrollmentID, "alice-id", "Alice Liddell", "Any", "admin-id", "Ada Admin", pb.DeviceKind_FIDO_U2F},
			f.aliceMac.credentialID + f.aliceMac.enrollmentID: {f.aliceMac.credentialID, f.aliceMac.enrollmentID, "alice-id", "Alice Liddell", "Secure Enclave Only", "", "", pb.DeviceKind_APPLE},
			f.bobPhone.credentialID + f.bobPhone.enrollmentID: {f.bobPhone.credentialID, f.bobPhone.enrollmentID, "bob-id", "Bob", "Any", "", "", pb.DeviceKind_ANDROID},
			f.pending: {"", f.pending, "carol-id", "", "Any", "", "", pb.DeviceKind_UNKNOWN},
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d devices listed, want %d: %v", tr, len(got), len(want), got)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: device %s listed as %+v, want %+v", tr, k, got[k], w)
			}
		}
		// The credential carries Pomerium's WebAuthn data and the cluster.
		for _, d := range res.GetDevices() {
			if d.GetCredential().GetId() == f.aliceMac.credentialID {
				w := d.GetCredential().GetWebauthn()
				if len(w.GetRegisterResponse()) == 0 || len(w.GetPublicKey()) == 0 || d.GetCredential().GetClusterId() != store.DefaultClusterID ||
					d.GetEnrollment().GetUserAgent() != "Mozilla/5.0 test" || d.GetEnrollment().GetEnrolledAt() == nil {
					t.Errorf("%s: alice's Mac listed as %v", tr, d)
				}
			}
		}
		// The newest of alice's devices comes first.
		if res.GetDevices()[0].GetCredential().GetId() != f.aliceMac.credentialID {
			t.Errorf("%s: the list starts with %v", tr, res.GetDevices()[0].GetCredential().GetId())
		}

		for name, tc := range map[string]struct {
			req  *pb.ListDevicesRequest
			want []string
		}{
			"of alice":             {&pb.ListDevicesRequest{UserId: proto.String("alice-id")}, []string{f.aliceKey.credentialID, f.aliceMac.credentialID}},
			"of enclave_only":      {&pb.ListDevicesRequest{TypeId: proto.String("enclave_only")}, []string{f.aliceMac.credentialID}},
			"approved by admin-id": {&pb.ListDevicesRequest{ApprovedBy: proto.String("admin-id")}, []string{f.aliceKey.credentialID}},
			"not approved":         {&pb.ListDevicesRequest{ApprovedBy: proto.String("")}, []string{f.aliceMac.credentialID, f.bobPhone.credentialID, ""}},
			"of carol":             {&pb.ListDevicesRequest{UserId: proto.String("carol-id")}, []string{""}},
			"of any, not approved": {&pb.ListDevicesRequest{TypeId: proto.String("any"), ApprovedBy: proto.String(""), UserId: proto.String("bob-id")}, []string{f.bobPhone.credentialID}},
			"of no one":            {&pb.ListDevicesRequest{UserId: proto.String("alice")}, nil},
		} {
			res, err := api.list(e.ctx, tc.req)
			if err != nil {
				t.Fatalf("%s: %s: %v", tr, name, err)
			}
			var ids []string
			for _, d := range res.GetDevices() {
				ids = append(ids, d.GetCredential().GetId())
			}
			if !sameItems(ids, tc.want) {
				t.Errorf("%s: devices %s: %q, want %q", tr, name, ids, tc.want)
			}
		}
	}
}

// sameItems reports whether a and b hold the same strings in any order.
func sameItems(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// Approving sets approved_by and nothing else, as PPL's approved reads it.
func TestApproveDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := seedDevices(t, e.broker)
	for i, tr := range transports {
		tok := e.accountIn(store.GlobalNamespaceID, store.RoleAdmin, store.GlobalNamespaceID)
		api := e.deviceAPI(tr, tok, "")
		target := []registered{f.aliceMac, f.bobPhone}[i]
		before := enrollmentOf(t, e.broker, target.enrollmentID)
		credBefore := rawRecord(t, e.broker, deviceCredentialType, target.credentialID)
		if _, err := api.approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_CredentialId{CredentialId: target.credentialID}}); err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		after := enrollmentOf(t, e.broker, target.enrollmentID)
		if after.GetApprovedBy() == "" {
			t.Fatalf("%s: approved_by is still empty", tr)
		}
		approver := after.GetApprovedBy()
		after.ApprovedBy = ""
		if !proto.Equal(before, after) || string(after.ProtoReflect().GetUnknown()) == "" {
			t.Errorf("%s: the enrollment changed beyond approved_by:\nbefore %v\nafter  %v", tr, before, after)
		}
		if got := rawRecord(t, e.broker, deviceCredentialType, target.credentialID); got.GetVersion() != credBefore.GetVersion() {
			t.Errorf("%s: the credential was written", tr)
		}
		// A device approved already keeps its approver.
		version := rawRecord(t, e.broker, deviceEnrollmentType, target.enrollmentID).GetVersion()
		if _, err := e.deviceAPI(tr, e.adminToken(), "").approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_EnrollmentId{EnrollmentId: target.enrollmentID}}); err != nil {
			t.Fatalf("%s: approve again: %v", tr, err)
		}
		if got := rawRecord(t, e.broker, deviceEnrollmentType, target.enrollmentID); got.GetVersion() != version {
			t.Errorf("%s: a second approval wrote the enrollment again", tr)
		}
		res, err := api.list(e.ctx, &pb.ListDevicesRequest{ApprovedBy: proto.String(approver)})
		if err != nil || len(res.GetDevices()) != 1 || res.GetDevices()[0].GetCredential().GetId() != target.credentialID {
			t.Errorf("%s: devices approved by %s: %v, %v", tr, approver, res, err)
		}
	}
	// A recovery token has no user id: its subject approves.
	if _, err := e.deviceAPI("grpc", e.adminToken(), "").approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_EnrollmentId{EnrollmentId: f.pending}}); err != nil {
		t.Fatal(err)
	}
	if got := enrollmentOf(t, e.broker, f.pending).GetApprovedBy(); got != "recovery:"+store.GlobalNamespaceID {
		t.Errorf("the enrollment approved ahead by a recovery token has approved_by %q", got)
	}
	notes := e.deviceNotes(store.EntityDevice)
	if len(notes) != 3 {
		t.Fatalf("%d activity entries about devices, want 3: %v", len(notes), notes)
	}
	for _, n := range notes {
		if n.Action != store.ActionApprove || n.NamespaceID != store.GlobalNamespaceID || n.Snapshot == "" {
			t.Errorf("activity entry %+v", n)
		}
	}
	if n := notes[0]; n.EntityID != f.aliceMac.credentialID || n.EntityName != "alice@example.com (enclave_only)" {
		t.Errorf("the first approval is noted as %s %q", n.EntityID, n.EntityName)
	}

	api := e.deviceAPI("connect-json", e.adminToken(), "")
	_, err := api.approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_CredentialId{CredentialId: "nope"}})
	wantCode(t, "approve an unknown credential", err, connect.CodeNotFound, "credential_id")
	_, err = api.approve(e.ctx, &pb.ApproveDeviceRequest{})
	wantCode(t, "approve naming no device", err, connect.CodeInvalidArgument, "credential_id")
}

// Deleting a device deletes its credential and enrollment as Pomerium's
// own removal does, and nothing of any other device.
func TestDeleteDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := seedDevices(t, e.broker)
	tok := e.adminToken()
	userBefore := rawRecord(t, e.broker, userType, "alice-id")
	if _, err := e.deviceAPI("grpc", tok, "").del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_CredentialId{CredentialId: f.aliceKey.credentialID}}); err != nil {
		t.Fatal(err)
	}
	if rawRecord(t, e.broker, deviceCredentialType, f.aliceKey.credentialID) != nil || rawRecord(t, e.broker, deviceEnrollmentType, f.aliceKey.enrollmentID) != nil {
		t.Error("the credential or the enrollment is still there")
	}
	for _, other := range []registered{f.aliceMac, f.bobPhone} {
		if rawRecord(t, e.broker, deviceCredentialType, other.credentialID) == nil || rawRecord(t, e.broker, deviceEnrollmentType, other.enrollmentID) == nil {
			t.Errorf("device %s went too", other.credentialID)
		}
	}
	if got := rawRecord(t, e.broker, userType, "alice-id"); got.GetVersion() != userBefore.GetVersion() {
		t.Error("the user record was written: the identity manager owns it")
	}
	// An enrollment no device has used is deleted by its id.
	if _, err := e.deviceAPI("connect-json", tok, "").del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_EnrollmentId{EnrollmentId: f.pending}}); err != nil {
		t.Fatal(err)
	}
	if rawRecord(t, e.broker, deviceEnrollmentType, f.pending) != nil {
		t.Error("the pending enrollment is still there")
	}
	// So is a device, by its enrollment's id.
	if _, err := e.deviceAPI("connect-json", tok, "").del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_EnrollmentId{EnrollmentId: f.bobPhone.enrollmentID}}); err != nil {
		t.Fatal(err)
	}
	if rawRecord(t, e.broker, deviceCredentialType, f.bobPhone.credentialID) != nil {
		t.Error("bob's credential is still there")
	}
	res, err := e.deviceAPI("grpc", tok, "").list(e.ctx, &pb.ListDevicesRequest{})
	if err != nil || len(res.GetDevices()) != 1 || res.GetDevices()[0].GetCredential().GetId() != f.aliceMac.credentialID {
		t.Errorf("devices left: %v, %v", res, err)
	}
	notes := e.deviceNotes(store.EntityDevice)
	if len(notes) != 3 || notes[0].Action != store.ActionDelete || notes[0].EntityID != f.aliceKey.credentialID || notes[1].EntityID != f.pending {
		t.Errorf("activity entries: %+v", notes)
	}
	_, err = e.deviceAPI("grpc", tok, "").del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_CredentialId{CredentialId: f.aliceKey.credentialID}})
	wantCode(t, "delete a deleted device", err, connect.CodeNotFound, "credential_id")
}

// TestDevicesOnPomerium runs the device calls against Pomerium's own
// databroker: its Query with a text, its Patch of approved_by and its
// delete by deleted_at.
func TestDevicesOnPomerium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	real := startPomerium(t)
	e.broker = real
	f := seedDevices(t, real)
	api := e.deviceAPI("grpc", e.adminToken(), "")
	res, err := api.list(e.ctx, &pb.ListDevicesRequest{})
	if err != nil || len(res.GetDevices()) != 4 {
		t.Fatalf("devices: %v, %v", res, err)
	}
	alice, err := api.list(e.ctx, &pb.ListDevicesRequest{UserId: proto.String("alice-id")})
	if err != nil || len(alice.GetDevices()) != 2 || alice.GetDevices()[0].GetUserName() != "Alice Liddell" {
		t.Fatalf("alice's devices: %v, %v", alice, err)
	}
	before := enrollmentOf(t, real, f.aliceMac.enrollmentID)
	if _, err := api.approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_CredentialId{CredentialId: f.aliceMac.credentialID}}); err != nil {
		t.Fatal(err)
	}
	after := enrollmentOf(t, real, f.aliceMac.enrollmentID)
	if after.GetApprovedBy() != "recovery:"+store.GlobalNamespaceID {
		t.Fatalf("approved_by %q", after.GetApprovedBy())
	}
	after.ApprovedBy = ""
	if !proto.Equal(before, after) {
		t.Errorf("Pomerium's Patch changed more than approved_by:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := api.del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_EnrollmentId{EnrollmentId: f.bobPhone.enrollmentID}}); err != nil {
		t.Fatal(err)
	}
	if rawRecord(t, real, deviceCredentialType, f.bobPhone.credentialID) != nil || rawRecord(t, real, deviceEnrollmentType, f.bobPhone.enrollmentID) != nil {
		t.Error("bob's device is still in Pomerium's databroker")
	}
	if _, err := api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: &pb.DeviceType{Id: "laptops", Name: "Laptops"}}); err != nil {
		t.Fatal(err)
	}
	types, err := api.types(e.ctx, &pb.ListDeviceTypesRequest{})
	if got := typeNames(types); err != nil || len(got) != 3 || got[2] != [2]string{"laptops", "Laptops"} {
		t.Errorf("types: %v, %v", got, err)
	}
	link, err := api.enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{Enrollment: &pb.DeviceEnrollment{UserId: "bob-id", DeviceTypeId: "laptops"}, RouteUrl: "https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	checkEnrollmentLink(t, link, brokerSecret, real, "app.example.com", "laptops", "bob-id")
}

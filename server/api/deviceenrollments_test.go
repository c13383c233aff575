package api_test

import (
	"net/url"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/store"
)

// checkEnrollmentLink checks a link as Pomerium's registration page
// would: signed with key, of the type, carrying a token of key for the
// enrollment; and the enrollment in b as Pomerium wants it: of the type and
// user, not enrolled yet.
func checkEnrollmentLink(t *testing.T, res *pb.CreateDeviceEnrollmentResponse, key []byte, b *databroker.Client, host, typeID, userID string) {
	t.Helper()
	u, err := url.Parse(res.GetEnrollmentUrl())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != host || u.Path != "/.pomerium/webauthn" {
		t.Errorf("the link goes to %s", u)
	}
	if err := enrollment.VerifyURL(key, u, time.Now()); err != nil {
		t.Errorf("the link does not pass Pomerium's check: %v", err)
	}
	if err := enrollment.VerifyURL(key, u, time.Now().Add(6*24*time.Hour)); err != nil {
		t.Errorf("the link does not last days: %v", err)
	}
	q := u.Query()
	if q.Get("pomerium_device_type") != typeID {
		t.Errorf("the link's type is %q", q.Get("pomerium_device_type"))
	}
	id, _, err := enrollment.ParseToken(key, q.Get("pomerium_enrollment_token"), time.Now())
	if err != nil || id.String() != res.GetEnrollment().GetId() {
		t.Errorf("the token names %v (%v), want enrollment %s", id, err, res.GetEnrollment().GetId())
	}
	if _, err := uuid.Parse(res.GetEnrollment().GetId()); err != nil {
		t.Errorf("the enrollment id is no UUID: %v", err)
	}
	e := enrollmentOf(t, b, res.GetEnrollment().GetId())
	if e == nil || e.GetTypeId() != typeID || e.GetUserId() != userID || e.GetEnrolledAt() != nil || e.GetCredentialId() != "" || e.GetApprovedBy() != "" {
		t.Errorf("the enrollment record: %v", e)
	}
}

func TestCreateDeviceEnrollment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.adminToken()
	for _, tr := range transports {
		api := e.deviceAPI(tr, tok, "")
		res, err := api.enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{
			Enrollment: &pb.DeviceEnrollment{UserId: "alice-id", DeviceTypeId: "enclave_only"},
			RouteUrl:   "https://App.example.com:443/some/path?x=1", RedirectUrl: "https://app.example.com/welcome",
		})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		checkEnrollmentLink(t, res, brokerSecret, e.broker, "app.example.com", "enclave_only", "alice-id")
		if got := res.GetEnrollment(); got.GetUserId() != "alice-id" || got.GetDeviceTypeId() != "enclave_only" || got.GetCreatedAt() == nil || got.GetClusterId() != store.DefaultClusterID {
			t.Errorf("%s: the enrollment answered: %v", tr, got)
		}
		if u, _ := url.Parse(res.GetEnrollmentUrl()); u.Query().Get("pomerium_redirect_uri") != "https://app.example.com/welcome" {
			t.Errorf("%s: redirect %q", tr, u.Query().Get("pomerium_redirect_uri"))
		}
	}
	// Listed, until a device uses it, as a device without a credential.
	res, err := e.deviceAPI("grpc", tok, "").list(e.ctx, &pb.ListDevicesRequest{UserId: new("alice-id")})
	if err != nil || len(res.GetDevices()) != 2 || res.GetDevices()[0].GetCredential() != nil {
		t.Errorf("alice's devices: %v, %v", res, err)
	}
	if notes := e.deviceNotes(store.EntityDevice); len(notes) != 2 || notes[0].Action != store.ActionSet || notes[0].EntityName != "alice-id (enclave_only)" {
		t.Errorf("activity entries: %+v", notes)
	}

	api := e.deviceAPI("grpc", tok, "")
	enroll := func(req *pb.CreateDeviceEnrollmentRequest) error {
		_, err := api.enroll(e.ctx, req)
		return err
	}
	alice := &pb.DeviceEnrollment{UserId: "alice-id"}
	wantCode(t, "no user", enroll(&pb.CreateDeviceEnrollmentRequest{Enrollment: &pb.DeviceEnrollment{}, RouteUrl: "https://a.example.com"}),
		connect.CodeInvalidArgument, "enrollment.user_id: is required")
	wantCode(t, "an unknown type", enroll(&pb.CreateDeviceEnrollmentRequest{Enrollment: &pb.DeviceEnrollment{UserId: "alice-id", DeviceTypeId: "phones"}, RouteUrl: "https://a.example.com"}),
		connect.CodeInvalidArgument, "enrollment.device_type_id: the cluster has no device type phones")
	wantCode(t, "an http route", enroll(&pb.CreateDeviceEnrollmentRequest{Enrollment: alice, RouteUrl: "http://a.example.com"}),
		connect.CodeInvalidArgument, "route_url: is not an https URL")
	wantCode(t, "an id of one's own", enroll(&pb.CreateDeviceEnrollmentRequest{Enrollment: &pb.DeviceEnrollment{Id: uuid.NewString(), UserId: "alice-id"}, RouteUrl: "https://a.example.com"}),
		connect.CodeInvalidArgument, "enrollment.id")
	wantCode(t, "no route and no authenticate URL", enroll(&pb.CreateDeviceEnrollmentRequest{Enrollment: alice}),
		connect.CodeInvalidArgument, "route_url: is required")

	// Without a route, the authenticate service's URL; of type any.
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID, NamespaceID: store.GlobalNamespaceID},
		Spec:       &configpb.Settings{AuthenticateServiceUrl: new("https://authenticate.example.com")},
	}, 0); err != nil {
		t.Fatal(err)
	}
	out, err := api.enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{Enrollment: alice})
	if err != nil {
		t.Fatal(err)
	}
	checkEnrollmentLink(t, out, brokerSecret, e.broker, "authenticate.example.com", "any", "alice-id")
}

// An added cluster's enrollment goes to its databroker, and its link is
// signed with its own shared secret.
func TestCreateDeviceEnrollmentInAddedCluster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.adminToken()
	eu, b := e.euCluster()
	for _, tr := range transports {
		// By the enrollment's cluster_id, and by the Cluster-Id header.
		byField, err := e.deviceAPI(tr, tok, "").enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{
			Enrollment: &pb.DeviceEnrollment{UserId: "eve-id", ClusterId: new(eu)}, RouteUrl: "https://eu.example.com"})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		checkEnrollmentLink(t, byField, clusterSecret, b, "eu.example.com", "any", "eve-id")
		byHeader, err := e.deviceAPI(tr, tok, eu).enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{
			Enrollment: &pb.DeviceEnrollment{UserId: "eve-id"}, RouteUrl: "https://eu.example.com"})
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		checkEnrollmentLink(t, byHeader, clusterSecret, b, "eu.example.com", "any", "eve-id")
		if enrollmentOf(t, e.broker, byHeader.GetEnrollment().GetId()) != nil {
			t.Errorf("%s: the enrollment went to the default cluster too", tr)
		}
	}
	_, err := e.deviceAPI("grpc", tok, "").enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{
		Enrollment: &pb.DeviceEnrollment{UserId: "eve-id", ClusterId: new(uuid.NewString())}, RouteUrl: "https://eu.example.com"})
	wantCode(t, "an unknown cluster", err, connect.CodeNotFound, "enrollment.cluster_id")
	_, err = e.deviceAPI("connect-json", tok, uuid.NewString()).types(e.ctx, &pb.ListDeviceTypesRequest{})
	wantCode(t, "an unknown Cluster-Id", err, connect.CodeNotFound, "Cluster-Id")
}

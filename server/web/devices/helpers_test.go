package devices_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-logr/logr"
	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/devices"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const (
	global               = store.GlobalNamespaceID
	enrollmentType       = "type.googleapis.com/pomerium.device.Enrollment"
	credentialType       = "type.googleapis.com/pomerium.device.Credential"
	deviceTypeRecordType = "type.googleapis.com/pomerium.device.Type"
)

// secret is the default cluster's shared secret.
var secret = []byte("web-devices-test-shared-secret!!")

// fixture is a console with the devices screen, over the default
// cluster's databroker holding a device of alice (a security key of type
// any), one of bob (an enclave_only Mac, approved by the admin) and an
// enrollment of carol's that no device has used.
type fixture struct {
	t      *testing.T
	e      *webtest.Env
	broker *databroker.Client
	// alice and bob are their devices' credential ids; carol the
	// enrollment id.
	alice, bob, carol string
	// brokers are the databrokers of the clusters, the default one's
	// under store.DefaultClusterID.
	mu      sync.Mutex
	brokers map[string]*databroker.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, brokers: map[string]*databroker.Client{}}
	f.broker = f.addBroker(store.DefaultClusterID)
	brokers := manage.DatabrokerFunc(func(id string) (databrokerpb.DataBrokerServiceClient, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		b, ok := f.brokers[id]
		if !ok {
			return nil, status.Error(codes.Unavailable, "not connected")
		}
		return b.RPC(), nil
	})
	f.e = webtest.New(t, webtest.Embedded(t), webtest.Options{Screens: []web.Screen{devices.Register}, Databrokers: brokers, SharedSecret: secret})
	f.put("type.googleapis.com/user.User", "u-alice", &userpb.User{Id: "u-alice", Name: "Alice Liddell", Email: "alice@example.com"})
	f.alice = f.register("u-alice", "any", "", time.Now().Add(-time.Hour))
	f.bob = f.register("u-bob", "enclave_only", "user-"+webtest.Admin, time.Now().Add(-2*time.Hour))
	f.carol = uuid.NewString()
	f.put(enrollmentType, f.carol, &devicepb.Enrollment{Id: f.carol, TypeId: "any", UserId: "u-carol"})
	return f
}

// addBroker starts a databroker for the cluster with id, which the
// console then reaches.
func (f *fixture) addBroker(id string) *databroker.Client {
	f.t.Helper()
	b, err := databroker.Dial(databroker.Options{URL: webtest.DatabrokerServerWith(f.t, secret), SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = b.Close() })
	f.mu.Lock()
	defer f.mu.Unlock()
	f.brokers[id] = b
	return b
}

// in is the fixture writing to and reading from the databroker of the
// cluster with id.
func (f *fixture) in(id string) *fixture {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &fixture{t: f.t, e: f.e, broker: f.brokers[id]}
}

func (f *fixture) put(recordType, id string, m proto.Message) {
	f.t.Helper()
	webtest.PutRecord(f.t, f.broker, recordType, id, m)
}

// register writes a device of a user as Pomerium's registration does (its
// credential and enrollment), approved by approver unless empty, and
// returns its credential id.
func (f *fixture) register(user, typeID, approver string, at time.Time) string {
	f.t.Helper()
	credID := enrollment.Base58([]byte(uuid.NewString()))
	enr := &devicepb.Enrollment{Id: uuid.NewString(), TypeId: typeID, UserId: user, CredentialId: credID, ApprovedBy: approver,
		EnrolledAt: timestamppb.New(at), UserAgent: "Mozilla/5.0 test"}
	f.put(enrollmentType, enr.GetId(), enr)
	f.put(credentialType, credID, &devicepb.Credential{Id: credID, TypeId: typeID, EnrollmentId: enr.GetId(), UserId: user,
		Specifier: &devicepb.Credential_Webauthn{Webauthn: &devicepb.Credential_WebAuthn{Id: []byte(credID), PublicKey: []byte("key")}}})
	return credID
}

// record reads a record of the databroker into m; false once it is gone.
func (f *fixture) record(recordType, id string, m proto.Message) bool {
	f.t.Helper()
	return webtest.Record(f.t, f.broker, recordType, id, m)
}

// admin is a Global admin behind Pomerium.
func (f *fixture) admin() *webtest.Browser { return f.e.User(webtest.Admin) }

// rows are the devices a list shows, by credential id (enrollment id for
// an enrollment no device has used).
func rows(page *webtest.Response) []string {
	var ids []string
	page.Find("tbody tr").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("data-credential", "")
		if id == "" {
			id = s.AttrOr("data-enrollment", "")
		}
		ids = append(ids, id)
	})
	return ids
}

// ok fails the test unless a page answered 200.
func ok(t *testing.T, what string, page *webtest.Response) *webtest.Response {
	t.Helper()
	if page.Status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", what, page.Status, page.Find("main").Text())
	}
	return page
}

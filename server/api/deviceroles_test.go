package api_test

import (
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/store"
)

// deviceCalls makes every call of DeviceService on a cluster (its id, or
// "" for the default cluster, whose databroker is b) and returns the code
// of each, by name. Calls that need a device or a type have their own.
func deviceCalls(t *testing.T, e *env, api deviceAPI, b *databroker.Client, cluster, who string) map[string]connect.Code {
	t.Helper()
	dev := register(t, b, &userpb.User{Id: who + "-user"}, "any", "packed", time.Now())
	other := register(t, b, &userpb.User{Id: who + "-user"}, "any", "packed", time.Now())
	typeID := "type-of-" + who
	out := map[string]connect.Code{}
	_, err := api.list(e.ctx, &pb.ListDevicesRequest{ClusterId: optionalString(cluster)})
	out["ListDevices"] = codeOf(err)
	_, err = api.types(e.ctx, &pb.ListDeviceTypesRequest{})
	out["ListDeviceTypes"] = codeOf(err)
	_, err = api.setType(e.ctx, &pb.SetDeviceTypeRequest{Type: &pb.DeviceType{Id: typeID, Name: "T"}})
	out["SetDeviceType"] = codeOf(err)
	_, err = api.delType(e.ctx, &pb.DeleteDeviceTypeRequest{TypeId: typeID})
	out["DeleteDeviceType"] = codeOf(err)
	_, err = api.enroll(e.ctx, &pb.CreateDeviceEnrollmentRequest{Enrollment: &pb.DeviceEnrollment{UserId: "u"}, RouteUrl: "https://app.example.com"})
	out["CreateDeviceEnrollment"] = codeOf(err)
	_, err = api.approve(e.ctx, &pb.ApproveDeviceRequest{Id: &pb.ApproveDeviceRequest_CredentialId{CredentialId: dev.credentialID}})
	out["ApproveDevice"] = codeOf(err)
	_, err = api.del(e.ctx, &pb.DeleteDeviceRequest{Id: &pb.DeleteDeviceRequest_CredentialId{CredentialId: other.credentialID}})
	out["DeleteDevice"] = codeOf(err)
	return out
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// euCluster adds a cluster named eu, with a databroker of its own, and
// returns its id and its databroker.
func (e *env) euCluster() (string, *databroker.Client) {
	e.t.Helper()
	added, err := e.clusterAPI("grpc", e.adminToken()).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu")})
	if err != nil {
		e.t.Fatal(err)
	}
	return added.Cluster.Id, e.addDatabroker(added.Cluster.Id)
}

// Every call takes admin of the cluster's namespace (the Global namespace
// for the default cluster); a cluster whose namespace the caller may not
// see is not found.
func TestDeviceRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eu, euBroker := e.euCluster()
	for _, cl := range []struct {
		name, id, ns string
		b            *databroker.Client
	}{{"default", "", store.GlobalNamespaceID, e.broker}, {"eu", eu, eu, euBroker}} {
		for i, who := range []struct {
			role store.Role
			want connect.Code
		}{
			{store.RoleAdmin, 0},
			{store.RoleManager, connect.CodePermissionDenied},
			{store.RoleViewer, connect.CodePermissionDenied},
			{"", map[bool]connect.Code{true: connect.CodePermissionDenied, false: connect.CodeNotFound}[cl.id == ""]},
		} {
			name := fmt.Sprintf("%s-%s-%d", cl.name, who.role, i)
			tok := e.account(who.role, cl.ns)
			tr := transports[i%2]
			for call, got := range deviceCalls(t, e, e.deviceAPI(tr, tok, cl.id), cl.b, cl.id, name) {
				if got != who.want {
					t.Errorf("cluster %s, %q of its namespace, %s: %s gets %v, want %v", cl.name, who.role, tr, call, got, who.want)
				}
			}
		}
	}
	// A Global admin manages the devices of every cluster.
	for call, got := range deviceCalls(t, e, e.deviceAPI("grpc", e.adminToken(), eu), euBroker, eu, "global-admin") {
		if got != 0 {
			t.Errorf("a Global admin on cluster eu: %s gets %v", call, got)
		}
	}
}

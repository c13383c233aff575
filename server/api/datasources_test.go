package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

type dataSourceAPI struct {
	set    rpc[pb.SetExternalDataSourceRequest, pb.SetExternalDataSourceResponse]
	get    rpc[pb.GetExternalDataSourceRequest, pb.GetExternalDataSourceResponse]
	list   rpc[pb.ListExternalDataSourcesRequest, pb.ListExternalDataSourcesResponse]
	delete rpc[pb.DeleteExternalDataSourceRequest, emptypb.Empty]
	types  rpc[pb.ListExternalDataSourceRecordTypesRequest, pb.ListExternalDataSourceRecordTypesResponse]
	fields rpc[pb.ListExternalDataSourceRecordFieldsRequest, pb.ListExternalDataSourceRecordFieldsResponse]
}

func (e *env) dataSourceAPI(transport, token string) dataSourceAPI {
	if transport == "grpc" {
		c := pb.NewExternalDataSourceServiceClient(e.conn)
		return dataSourceAPI{viaGRPC(token, c.SetExternalDataSource), viaGRPC(token, c.GetExternalDataSource),
			viaGRPC(token, c.ListExternalDataSources), viaGRPC(token, c.DeleteExternalDataSource),
			viaGRPC(token, c.ListExternalDataSourceRecordTypes), viaGRPC(token, c.ListExternalDataSourceRecordFields)}
	}
	c := dashboardpbconnect.NewExternalDataSourceServiceClient(e.http, e.url, connectOpts(token)...)
	return dataSourceAPI{viaConnect(c.SetExternalDataSource), viaConnect(c.GetExternalDataSource),
		viaConnect(c.ListExternalDataSources), viaConnect(c.DeleteExternalDataSource),
		viaConnect(c.ListExternalDataSourceRecordTypes), viaConnect(c.ListExternalDataSourceRecordFields)}
}

// dataSourceToken is a header value of the tests' data sources, which the
// activity log must never hold.
const dataSourceToken = "never-logged-data-source-token"

func newDataSource(recordType string) *pb.ExternalDataSource {
	return &pb.ExternalDataSource{Url: "https://directory.example.com/users.json", RecordType: recordType, ForeignKey: "id",
		Headers: map[string]string{"Authorization": "Bearer " + dataSourceToken}}
}

func TestDataSourceLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.dataSourceAPI(transport, e.adminToken())
			in := newDataSource("pomerium.io/DirectoryUser")
			in.PollingMinDelay = durationpb.New(30 * time.Second)
			set, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: in})
			if err != nil {
				t.Fatal(err)
			}
			d := set.ExternalDataSource
			if d.Id == "" || d.GetClusterId() != store.DefaultClusterID || d.Headers["Authorization"] != "Bearer "+dataSourceToken ||
				d.PollingMinDelay.AsDuration() != 30*time.Second || d.PollingMaxDelay.AsDuration() != 10*time.Minute || d.OriginatorId != "api" || d.CreatedAt == nil {
				t.Fatalf("set: %v", d)
			}
			got, err := api.get(e.ctx, &pb.GetExternalDataSourceRequest{Id: d.Id})
			if err != nil || got.ExternalDataSource.Url != in.Url || got.ExternalDataSource.Headers["Authorization"] == "" {
				t.Fatalf("get: %v, %v", got, err)
			}
			// An update replaces the headers.
			d.Headers, d.ForeignKey = map[string]string{"X-Api-Key": "k"}, "email"
			updated, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: d})
			if err != nil || updated.ExternalDataSource.ForeignKey != "email" || len(updated.ExternalDataSource.Headers) != 1 || updated.ExternalDataSource.Headers["X-Api-Key"] != "k" {
				t.Fatalf("update: %v, %v", updated, err)
			}
			list, err := api.list(e.ctx, &pb.ListExternalDataSourcesRequest{})
			if err != nil || len(list.ExternalDataSources) != 1 || list.ExternalDataSources[0].Id != d.Id {
				t.Fatalf("list: %v, %v", list, err)
			}
			types, err := api.types(e.ctx, &pb.ListExternalDataSourceRecordTypesRequest{})
			if err != nil || !slices.Equal(types.RecordTypes, []string{"pomerium.io/DirectoryUser"}) {
				t.Errorf("record types: %v, %v", types, err)
			}
			// Fields are what the last fetch saw: none before one.
			fields, err := api.fields(e.ctx, &pb.ListExternalDataSourceRecordFieldsRequest{RecordType: "pomerium.io/DirectoryUser"})
			if err != nil || len(fields.RecordFields) != 0 {
				t.Errorf("fields before a fetch: %v, %v", fields, err)
			}
			if err := e.store.SetDataSourceStatus(e.ctx, store.DataSourceStatus{ID: d.Id, ClusterID: store.DefaultClusterID,
				RecordType: "pomerium.io/DirectoryUser", Records: 2, Fields: []string{"email", "id"}}); err != nil {
				t.Fatal(err)
			}
			fields, err = api.fields(e.ctx, &pb.ListExternalDataSourceRecordFieldsRequest{RecordType: "pomerium.io/DirectoryUser"})
			if err != nil || !slices.Equal(fields.RecordFields, []string{"email", "id"}) {
				t.Errorf("fields after a fetch: %v, %v", fields, err)
			}
			_, err = api.fields(e.ctx, &pb.ListExternalDataSourceRecordFieldsRequest{})
			wantCode(t, "fields without a type", err, connect.CodeInvalidArgument, "record_type: is required")

			page, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityID: d.Id})
			if err != nil || len(page.Entries) != 2 {
				t.Fatalf("activity: %v, %v", page, err)
			}
			for _, entry := range page.Entries {
				if strings.Contains(entry.Snapshot+entry.Diff, dataSourceToken) || !strings.Contains(entry.Snapshot, "header_names") {
					t.Errorf("activity snapshot:\n%s", entry.Snapshot)
				}
			}
			if _, err := api.delete(e.ctx, &pb.DeleteExternalDataSourceRequest{Id: d.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = api.get(e.ctx, &pb.GetExternalDataSourceRequest{Id: d.Id})
			wantCode(t, "get after delete", err, connect.CodeNotFound, "id")
		})
	}
}

func TestDataSourceRefusalsNameTheField(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.dataSourceAPI(transport, e.adminToken())
			for want, edit := range map[string]func(*pb.ExternalDataSource){
				"external_data_source.url: \"ftp://x.example.com\": the scheme must be http or https": func(d *pb.ExternalDataSource) { d.Url = "ftp://x.example.com" },
				"external_data_source.record_type: \"type.googleapis.com/session.Session\" is a type Pomerium writes itself": func(d *pb.ExternalDataSource) {
					d.RecordType = "type.googleapis.com/session.Session"
				},
				"external_data_source.record_type: \"a b\" may hold":         func(d *pb.ExternalDataSource) { d.RecordType = "a b" },
				"external_data_source.foreign_key: is required":              func(d *pb.ExternalDataSource) { d.ForeignKey = "" },
				"external_data_source.headers: \"Bad Name\" is not a header": func(d *pb.ExternalDataSource) { d.Headers = map[string]string{"Bad Name": "x"} },
				"external_data_source.polling_min_delay: is 10ms; at least 1s": func(d *pb.ExternalDataSource) {
					d.PollingMinDelay = durationpb.New(10 * time.Millisecond)
				},
				"external_data_source.polling_max_delay: is 1m0s, less than polling_min_delay (1h0m0s)": func(d *pb.ExternalDataSource) {
					d.PollingMinDelay, d.PollingMaxDelay = durationpb.New(time.Hour), durationpb.New(time.Minute)
				},
				"external_data_source.client_tls_key_id": func(d *pb.ExternalDataSource) { d.ClientTlsKeyId = new("not-a-uuid") },
				"external_data_source.cluster_id":        func(d *pb.ExternalDataSource) { d.ClusterId = new("0d5f5a3c-7c27-4b09-9a55-8e2ac5f2f1d0") },
			} {
				d := newDataSource("example.com/User")
				edit(d)
				_, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: d})
				code := connect.CodeInvalidArgument
				if strings.HasSuffix(want, "cluster_id") {
					code = connect.CodeNotFound
				}
				wantCode(t, want, err, code, want)
			}
			if _, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: newDataSource("example.com/User")}); err != nil {
				t.Fatal(err)
			}
			_, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: newDataSource("example.com/User")})
			wantCode(t, "a second source of one type", err, connect.CodeAlreadyExists, "external_data_source.record_type")
			_, err = api.set(e.ctx, &pb.SetExternalDataSourceRequest{})
			wantCode(t, "no data source", err, connect.CodeInvalidArgument, "external_data_source")
		})
	}
}

// TestDataSourcesOfClusters keeps each cluster's data sources apart: a
// list names its cluster, a data source stays in the cluster it was added
// to, and a client key pair must be one its cluster may use.
func TestDataSourcesOfClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.adminToken()
	api, clusters := e.dataSourceAPI("grpc", token), e.clusterAPI("grpc", token)
	added, err := clusters.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu")})
	if err != nil {
		t.Fatal(err)
	}
	eu := added.Cluster.Id
	in := newDataSource("pomerium.io/DirectoryUser")
	in.ClusterId = &eu
	set, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: in})
	if err != nil || set.ExternalDataSource.GetClusterId() != eu {
		t.Fatalf("set in eu: %v, %v", set, err)
	}
	// The default cluster may have a source of the same type.
	if _, err := api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: newDataSource("pomerium.io/DirectoryUser")}); err != nil {
		t.Fatal(err)
	}
	for cluster, want := range map[string]int{"": 1, eu: 1} {
		list, err := api.list(e.ctx, &pb.ListExternalDataSourcesRequest{ClusterId: &cluster})
		if err != nil || len(list.ExternalDataSources) != want {
			t.Errorf("list of cluster %q: %v, %v", cluster, list, err)
		}
	}
	moved := set.ExternalDataSource
	moved.ClusterId = new(store.DefaultClusterID)
	_, err = api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: moved})
	wantCode(t, "a move to another cluster", err, connect.CodeInvalidArgument, "external_data_source.cluster_id")
	// A key pair of the default cluster's team namespace is out of eu's reach.
	team := e.namespace(store.GlobalNamespaceID, "team")
	kp := e.keyPair(team.ID, "client.example.com")
	moved.ClusterId, moved.ClientTlsKeyId = &eu, &kp.ID
	_, err = api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: moved})
	wantCode(t, "a key pair of another cluster", err, connect.CodeInvalidArgument, "external_data_source.client_tls_key_id")
}

// TestDataSourceRoles: managing data sources, reading them included (their
// headers may hold credentials), takes admin of the cluster's namespace.
func TestDataSourceRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.dataSourceAPI("connect-json", e.adminToken())
	set, err := admin.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: newDataSource("example.com/User")})
	if err != nil {
		t.Fatal(err)
	}
	id := set.ExternalDataSource.Id
	for _, tc := range []struct {
		role store.Role
		want connect.Code
	}{{store.RoleAdmin, 0}, {store.RoleManager, connect.CodePermissionDenied}, {store.RoleViewer, connect.CodePermissionDenied}, {"", connect.CodeNotFound}} {
		for _, transport := range transports {
			api := e.dataSourceAPI(transport, e.account(tc.role, store.GlobalNamespaceID))
			what := func(call string) string { return string(tc.role) + " " + call + " via " + transport }
			_, err := api.list(e.ctx, &pb.ListExternalDataSourcesRequest{})
			wantCodeOrNone(t, what("list"), err, tc.want)
			_, err = api.get(e.ctx, &pb.GetExternalDataSourceRequest{Id: id})
			wantCodeOrNone(t, what("get"), err, tc.want)
			_, err = api.types(e.ctx, &pb.ListExternalDataSourceRecordTypesRequest{})
			wantCodeOrNone(t, what("record types"), err, tc.want)
			_, err = api.fields(e.ctx, &pb.ListExternalDataSourceRecordFieldsRequest{RecordType: "example.com/User"})
			wantCodeOrNone(t, what("record fields"), err, tc.want)
			other := newDataSource("example.com/" + transport + string(tc.role))
			_, err = api.set(e.ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: other})
			wantCodeOrNone(t, what("set"), err, tc.want)
			if tc.role != store.RoleAdmin {
				_, err = api.delete(e.ctx, &pb.DeleteExternalDataSourceRequest{Id: id})
				wantCodeOrNone(t, what("delete"), err, tc.want)
			}
		}
	}
	if _, err := admin.delete(e.ctx, &pb.DeleteExternalDataSourceRequest{Id: id}); err != nil {
		t.Errorf("the admin's delete: %v", err)
	}
}

// wantCodeOrNone is wantCode, where code 0 wants no error.
func wantCodeOrNone(t *testing.T, what string, err error, code connect.Code) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return
	}
	wantCode(t, what, err, code, "")
}

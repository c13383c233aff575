package api_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

type clusterAPI struct {
	add    rpc[pb.AddClusterRequest, pb.AddClusterResponse]
	get    rpc[pb.GetClusterRequest, pb.GetClusterResponse]
	list   rpc[pb.ListClustersRequest, pb.ListClustersResponse]
	update rpc[pb.UpdateClusterRequest, pb.UpdateClusterResponse]
	delete rpc[pb.DeleteClusterRequest, pb.DeleteClusterResponse]
}

func (e *env) clusterAPI(transport, token string) clusterAPI {
	if transport == "grpc" {
		c := pb.NewClustersServiceClient(e.conn)
		return clusterAPI{viaGRPC(token, c.AddCluster), viaGRPC(token, c.GetCluster), viaGRPC(token, c.ListClusters),
			viaGRPC(token, c.UpdateCluster), viaGRPC(token, c.DeleteCluster)}
	}
	c := dashboardpbconnect.NewClustersServiceClient(e.http, e.url, connectOpts(token)...)
	return clusterAPI{viaConnect(c.AddCluster), viaConnect(c.GetCluster), viaConnect(c.ListClusters),
		viaConnect(c.UpdateCluster), viaConnect(c.DeleteCluster)}
}

// clusterSecret is a cluster's shared secret: 32 bytes that must never
// come back. hack/test-summary.sh looks for its prefix in the whole output
// of a test run.
var clusterSecret = []byte("never-shown-cluster-secret-api!!")

func newCluster(name string) *pb.Cluster {
	return &pb.Cluster{Name: name, DatabrokerServiceUrl: "https://databroker." + name + ".example.com:5443", SharedSecret: clusterSecret}
}

// noSecret fails if the cluster's secret, raw or in base64, is in an answer.
func noSecret(t *testing.T, what string, msg proto.Message) {
	t.Helper()
	wire, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	text, err := protojson.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range [][]byte{clusterSecret, []byte(base64.StdEncoding.EncodeToString(clusterSecret)), []byte(base64.RawURLEncoding.EncodeToString(clusterSecret))} {
		if bytes.Contains(wire, form) || bytes.Contains(text, form) {
			t.Errorf("%s holds the cluster's shared secret: %s", what, text)
		}
	}
}

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.clusterAPI(transport, e.adminToken())
			added, err := api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu"), ParentNamespaceId: store.GlobalNamespaceID})
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, "AddCluster", added)
			cl := added.Cluster
			if cl.Id == "" || cl.Name != "eu" || cl.DatabrokerServiceUrl != "https://databroker.eu.example.com:5443" || cl.CreatedAt == nil {
				t.Fatalf("added cluster %v", cl)
			}
			// The cluster's namespace, named after it, below Global, and
			// its settings come with it.
			if ns := added.Namespace; ns.GetId() != cl.Id || ns.GetParentId() != store.GlobalNamespaceID || ns.GetName() != "eu" || ns.GetClusterId() != cl.Id {
				t.Errorf("namespace of the cluster %v", ns)
			}
			if st := added.Settings; st.GetId() != cl.Id || st.GetClusterId() != cl.Id {
				t.Errorf("settings of the cluster %v", st)
			}
			stored, err := store.Get[*store.Cluster](e.ctx, e.store, cl.Id, store.WithSecrets())
			if err != nil || !bytes.Equal(stored.SharedSecret, clusterSecret) {
				t.Fatalf("stored secret %x, %v", stored.GetObjectMeta(), err)
			}

			got, err := api.get(e.ctx, &pb.GetClusterRequest{Id: cl.Id})
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, "GetCluster", got)
			if !proto.Equal(got.Cluster, cl) || got.Namespace.GetId() != cl.Id {
				t.Errorf("GetCluster = %v, want %v", got, added)
			}
			list, err := api.list(e.ctx, &pb.ListClustersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, "ListClusters", list)
			if len(list.Clusters) != 2 || list.Clusters[0].Id != store.DefaultClusterID || list.Clusters[0].Name != "default" || list.Clusters[1].Id != cl.Id {
				t.Errorf("ListClusters = %v", list.Clusters)
			}

			// An update without a secret keeps the stored one; a new name
			// renames the namespace too.
			change := proto.CloneOf(cl)
			change.Name, change.InsecureSkipVerify = "europe", new(true)
			updated, err := api.update(e.ctx, &pb.UpdateClusterRequest{Cluster: change})
			if err != nil {
				t.Fatal(err)
			}
			noSecret(t, "UpdateCluster", updated)
			if updated.Cluster.Name != "europe" || !updated.Cluster.GetInsecureSkipVerify() || updated.Namespace.GetName() != "europe" {
				t.Errorf("UpdateCluster = %v", updated)
			}
			if stored, _ := store.Get[*store.Cluster](e.ctx, e.store, cl.Id, store.WithSecrets()); !bytes.Equal(stored.SharedSecret, clusterSecret) {
				t.Errorf("the secret changed on an update without one: %x", stored.SharedSecret)
			}

			// Refusals name the field.
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: &pb.Cluster{Name: "short", DatabrokerServiceUrl: "https://x.example.com", SharedSecret: []byte("short")}})
			wantCode(t, "a short secret", err, connect.CodeInvalidArgument, "cluster.shared_secret: is 5 bytes, want 32")
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("default")})
			wantCode(t, "the default cluster's name", err, connect.CodeInvalidArgument, "cluster.name")
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: &pb.Cluster{Name: "nourl", SharedSecret: clusterSecret}})
			wantCode(t, "no URL", err, connect.CodeInvalidArgument, "cluster.databroker_service_url: is required")
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("EUROPE")})
			wantCode(t, "a name taken", err, connect.CodeAlreadyExists, "cluster.name")
			// Two clusters on one databroker would delete each other's
			// records.
			same := newCluster("twin")
			same.DatabrokerServiceUrl = "HTTPS://Databroker.EU.example.com:5443/"
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: same})
			wantCode(t, "a databroker taken", err, connect.CodeAlreadyExists, "cluster.databroker_service_url")
			_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("nested"), ParentNamespaceId: cl.Id})
			wantCode(t, "a cluster in a cluster", err, connect.CodeInvalidArgument, "parent_namespace_id")
			_, err = api.update(e.ctx, &pb.UpdateClusterRequest{Cluster: &pb.Cluster{Id: store.DefaultClusterID, Name: "x"}})
			wantCode(t, "update the default cluster", err, connect.CodeFailedPrecondition, "configuration")
			_, err = api.delete(e.ctx, &pb.DeleteClusterRequest{Id: store.DefaultClusterID})
			wantCode(t, "delete the default cluster", err, connect.CodeFailedPrecondition, "cannot be deleted")
			_, err = api.get(e.ctx, &pb.GetClusterRequest{Id: "00000000-0000-4000-8000-000000000000"})
			wantCode(t, "an unknown cluster", err, connect.CodeNotFound, "")

			// Its namespace goes only with it.
			nsAPI := e.namespaceAPI(transport, e.adminToken())
			_, err = nsAPI.del(e.ctx, &pb.DeleteNamespaceRequest{Id: cl.Id})
			wantCode(t, "delete the cluster's namespace", err, connect.CodeFailedPrecondition, "delete the cluster instead")

			if _, err := api.delete(e.ctx, &pb.DeleteClusterRequest{Id: cl.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = api.get(e.ctx, &pb.GetClusterRequest{Id: cl.Id})
			wantCode(t, "a deleted cluster", err, connect.CodeNotFound, "")
			_, err = nsAPI.get(e.ctx, &pb.GetNamespaceRequest{Id: cl.Id})
			wantCode(t, "the namespace of a deleted cluster", err, connect.CodeNotFound, "")
			if list, _ := api.list(e.ctx, &pb.ListClustersRequest{}); len(list.GetClusters()) != 1 {
				t.Errorf("clusters after the delete: %v", list.GetClusters())
			}
			// Its name is free at once, though the reconciler may still be
			// removing its records.
			if _, err := api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("europe")}); err != nil {
				t.Errorf("add a cluster of the deleted one's name: %v", err)
			}
		})
	}
}

// Requests that name a cluster act on it: settings are per cluster, lists
// keep to the cluster, and a namespace of another cluster is refused.
func TestClusterIDOnRequests(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tok := e.adminToken()
			added, err := e.clusterAPI(transport, tok).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("us")})
			if err != nil {
				t.Fatal(err)
			}
			us := added.Cluster.Id
			settings := e.settingsAPI(transport, tok)
			if _, err := settings.set(e.ctx, &pb.SetSettingsRequest{Settings: &pb.Settings{ClusterId: new(us), LogLevel: new("debug")}}); err != nil {
				t.Fatal(err)
			}
			got, err := settings.get(e.ctx, &pb.GetSettingsRequest{ClusterId: new(us)})
			if err != nil || got.Settings.GetLogLevel() != "debug" || got.Settings.GetClusterId() != us {
				t.Fatalf("the cluster's settings: %v, %v", got, err)
			}
			if def, err := settings.get(e.ctx, &pb.GetSettingsRequest{}); err != nil || def.Settings.LogLevel != nil {
				t.Errorf("the default cluster's settings took the cluster's: %v, %v", def, err)
			}
			_, err = settings.get(e.ctx, &pb.GetSettingsRequest{ClusterId: new("00000000-0000-4000-8000-000000000000")})
			wantCode(t, "settings of an unknown cluster", err, connect.CodeNotFound, "cluster_id")

			team := e.namespace(us, "team")
			e.route(team.ID, "app", "https://app.us.example.com")
			e.route(store.GlobalNamespaceID, "home", "https://app.us.example.com")
			routes := e.routeAPI(transport, tok)
			list, err := routes.list(e.ctx, &pb.ListRoutesRequest{Namespace: team.ID, ClusterId: new(us)})
			if err != nil || len(list.Routes) != 1 {
				t.Fatalf("routes of the cluster's namespace: %v, %v", list, err)
			}
			_, err = routes.list(e.ctx, &pb.ListRoutesRequest{Namespace: store.GlobalNamespaceID, ClusterId: new(us)})
			wantCode(t, "a namespace of another cluster", err, connect.CodeInvalidArgument, "belongs to cluster")
			_, err = routes.list(e.ctx, &pb.ListRoutesRequest{Namespace: team.ID, ClusterId: new("00000000-0000-4000-8000-000000000000")})
			wantCode(t, "an unknown cluster", err, connect.CodeNotFound, "cluster_id")

			ns, err := e.namespaceAPI(transport, tok).get(e.ctx, &pb.GetNamespaceRequest{Id: team.ID})
			if err != nil || ns.Namespace.GetClusterId() != us {
				t.Errorf("a namespace below the cluster's: %v, %v", ns, err)
			}
			_, err = e.namespaceAPI(transport, tok).set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: team.ID, Name: "x", ClusterId: new(store.DefaultClusterID)}})
			wantCode(t, "a namespace naming another cluster than its parent's", err, connect.CodeInvalidArgument, "namespace.parent_id")
		})
	}
}

// Clusters are managed by Global admins; a cluster is seen by whoever may
// view its namespace, and is not found by anyone else.
func TestClusterRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.clusterAPI("grpc", e.adminToken())
	added, err := admin.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("ap")})
	if err != nil {
		t.Fatal(err)
	}
	ap := added.Cluster.Id
	for _, c := range []struct {
		who        string
		role       store.Role
		namespace  string
		see, write connect.Code
		listed     int
	}{
		{"viewer of Global", store.RoleViewer, store.GlobalNamespaceID, 0, connect.CodePermissionDenied, 2},
		{"admin of the cluster's namespace", store.RoleAdmin, ap, 0, connect.CodePermissionDenied, 1},
		{"admin of another namespace", store.RoleAdmin, e.namespace(store.GlobalNamespaceID, "other").ID, connect.CodeNotFound, connect.CodeNotFound, 0},
		{"no role", rbac.None, store.GlobalNamespaceID, connect.CodeNotFound, connect.CodeNotFound, 0},
		{"admin of Global", store.RoleAdmin, store.GlobalNamespaceID, 0, 0, 2},
	} {
		api := e.clusterAPI("grpc", e.account(c.role, c.namespace))
		_, err := api.get(e.ctx, &pb.GetClusterRequest{Id: ap})
		if got := codeOf(err); got != c.see {
			t.Errorf("%s: GetCluster %v (%v), want %v", c.who, got, err, c.see)
		}
		list, err := api.list(e.ctx, &pb.ListClustersRequest{})
		if err != nil || len(list.Clusters) != c.listed {
			t.Errorf("%s: ListClusters %v, %v, want %d clusters", c.who, list.GetClusters(), err, c.listed)
		}
		change := newCluster(fmt.Sprint("ap-", c.role))
		change.Id = ap
		_, err = api.update(e.ctx, &pb.UpdateClusterRequest{Cluster: change})
		if got := codeOf(err); got != c.write {
			t.Errorf("%s: UpdateCluster %v (%v), want %v", c.who, got, err, c.write)
		}
		// Adding a cluster is no secret's business: whoever may not is
		// told so.
		wantAdd := connect.CodePermissionDenied
		if c.write == 0 {
			wantAdd = 0
		}
		_, err = api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster(fmt.Sprintf("new-%d", len(c.who)))})
		if got := codeOf(err); got != wantAdd {
			t.Errorf("%s: AddCluster %v (%v), want %v", c.who, got, err, wantAdd)
		}
	}
}

// ConfigService names clusters by settings ids, cluster_id, the Cluster-Id
// header and filter.cluster_id.
func TestConfigServiceClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.adminToken()
	added, err := e.clusterAPI("grpc", tok).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu")})
	if err != nil {
		t.Fatal(err)
	}
	eu := added.Cluster.Id
	cs := e.configClient("grpc", tok)
	up, err := cs.UpdateSettings(e.ctx, &configpb.UpdateSettingsRequest{Settings: &configpb.Settings{ClusterId: new(eu), LogLevel: new("warn")}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Settings.GetId() != eu || up.Settings.GetClusterId() != eu || up.Settings.GetNamespaceId() != eu {
		t.Errorf("the cluster's settings written: %v", up.Settings)
	}
	for name, req := range map[string]*configpb.GetSettingsRequest{
		"by cluster_id": {For: &configpb.GetSettingsRequest_ClusterId{ClusterId: eu}},
		"by id":         {For: &configpb.GetSettingsRequest_Id{Id: eu}},
	} {
		got, err := cs.GetSettings(e.ctx, req)
		if err != nil || got.Settings.GetLogLevel() != "warn" {
			t.Errorf("GetSettings %s: %v, %v", name, got, err)
		}
	}
	if def, err := cs.GetSettings(e.ctx, &configpb.GetSettingsRequest{}); err != nil || def.Settings.LogLevel != nil || def.Settings.GetId() != store.SettingsID {
		t.Errorf("the default cluster's settings: %v, %v", def, err)
	}
	_, err = cs.GetSettings(e.ctx, &configpb.GetSettingsRequest{For: &configpb.GetSettingsRequest_ClusterId{ClusterId: "00000000-0000-4000-8000-000000000000"}})
	wantCode(t, "settings of an unknown cluster", err, connect.CodeNotFound, "cluster_id")
	list, err := cs.ListSettings(e.ctx, &configpb.ListSettingsRequest{})
	if err != nil || list.TotalCount != 2 || len(list.Settings) != 2 {
		t.Errorf("ListSettings: %v, %v", list, err)
	}

	// Cluster-Id places a route that names no namespace in the cluster's.
	withCluster := func(cluster string) connect.ClientOption {
		return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Cluster-Id", cluster)
				return next(ctx, req)
			}
		}))
	}
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots}, ForceAttemptHTTP2: true}}
	inEU := configpbconnect.NewConfigServiceClient(h2, e.url, connect.WithInterceptors(providerAuth(tok)), withCluster(eu))
	created, err := inEU.CreateRoute(e.ctx, connect.NewRequest(&configpb.CreateRouteRequest{Route: &configpb.Route{
		Name: new("eu app"), From: "https://eu.example.com", To: []string{"https://eu.internal"}}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := created.Msg.Route.GetNamespaceId(); got != eu {
		t.Errorf("a route created with Cluster-Id went to namespace %s, want the cluster's %s", got, eu)
	}
	e.route(store.GlobalNamespaceID, "home", "https://home.example.com")
	filter, err := structpb.NewStruct(map[string]any{"cluster_id": eu})
	if err != nil {
		t.Fatal(err)
	}
	names := func(res *configpb.ListRoutesResponse) []string {
		var out []string
		for _, r := range res.GetRoutes() {
			out = append(out, r.GetName())
		}
		return out
	}
	if res, err := cs.ListRoutes(e.ctx, &configpb.ListRoutesRequest{Filter: filter}); err != nil || !slices.Equal(names(res), []string{"eu app"}) {
		t.Errorf("routes of filter.cluster_id: %v, %v", names(res), err)
	}
	if res, err := cs.ListRoutes(e.ctx, &configpb.ListRoutesRequest{}); err != nil || !slices.Equal(names(res), []string{"home"}) {
		t.Errorf("routes without a cluster (the default cluster's): %v, %v", names(res), err)
	}
	unknown := configpbconnect.NewConfigServiceClient(h2, e.url, connect.WithInterceptors(providerAuth(tok)), withCluster("00000000-0000-4000-8000-000000000000"))
	_, err = unknown.CreateRoute(e.ctx, connect.NewRequest(&configpb.CreateRouteRequest{Route: &configpb.Route{From: "https://x.example.com", To: []string{"https://x.internal"}}}))
	wantCode(t, "an unknown Cluster-Id", err, connect.CodeNotFound, "Cluster-Id")
}

// Moving routes between clusters takes admin of both clusters'
// namespaces; managers of both may not.
func TestMoveBetweenClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api := e.clusterAPI("grpc", e.adminToken())
	var ids []string
	for _, name := range []string{"eu", "us"} {
		added, err := api.add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster(name)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, added.Cluster.Id)
	}
	r := e.route(ids[0], "app", "https://app.example.com")
	for _, c := range []struct {
		role store.Role
		want connect.Code
	}{{store.RoleManager, connect.CodePermissionDenied}, {store.RoleAdmin, 0}} {
		tok := e.accountIn(store.GlobalNamespaceID, c.role, ids...)
		_, err := e.routeAPI("grpc", tok).move(e.ctx, &pb.MoveRoutesRequest{RouteIds: []string{r.ID}, NewNamespaceId: ids[1]})
		if got := codeOf(err); got != c.want {
			t.Errorf("%s of both clusters: MoveRoutes %v (%v), want %v", c.role, got, err, c.want)
		}
	}
	if got, err := store.Get[*store.Route](e.ctx, e.store, r.ID); err != nil || got.NamespaceID != ids[1] {
		t.Errorf("the route after the admin's move: %v, %v", got, err)
	}

	// A policy a route of its cluster uses cannot go to another cluster:
	// the route would keep a record naming a policy its databroker lost.
	p := e.policy(ids[1], "used", false)
	e.route(ids[1], "user", "https://user.example.com", p.ID)
	policies := e.policyAPI("grpc", e.adminToken())
	got, err := policies.get(e.ctx, &pb.GetPolicyRequest{Id: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	moved := got.Policy
	moved.NamespaceId = ids[0]
	_, err = policies.set(e.ctx, &pb.SetPolicyRequest{Policy: moved})
	wantCode(t, "a used policy to another cluster", err, connect.CodeFailedPrecondition, "out of that cluster's reach")
	// Nor can a namespace holding it.
	inner := e.namespace(ids[1], "inner")
	q := e.policy(inner.ID, "inner policy", false)
	e.route(ids[1], "outside", "https://outside.example.com", q.ID)
	nsAPI := e.namespaceAPI("grpc", e.adminToken())
	_, err = nsAPI.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{Id: inner.ID, ParentId: ids[0], Name: "inner"}})
	wantCode(t, "a namespace whose policy a route outside uses, to another cluster", err, connect.CodeFailedPrecondition, "outside the namespace uses its policy")
}

package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// seeded are the objects the screens show.
type seeded struct {
	namespace, policy, route, keyPair, account, cluster, dataSource string
	// device is the credential id of a device of the default cluster.
	device string
	// activity is an entry of the activity log with a diff (an edit).
	activity, activityBefore int64
}

// seed writes what a small team's console holds: a namespace, a policy, a
// route using it (edited once, so the activity log has a diff), a
// certificate and a service account.
func (c *console) seed(t *testing.T) *seeded {
	t.Helper()
	ctx := t.Context()
	actor := store.Actor{Subject: "alice@example.com", Origin: store.OriginUI}
	ns, err := store.Put(ctx, c.store, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Engineering"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := store.Put(ctx, c.store, actor, &store.Policy{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "Engineers"}, Description: "people of the engineering group",
		PPL: "allow:\n  or:\n    - groups:\n        has: engineering\n    - email:\n        ends_with: \"@example.com\"\n",
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	route := &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "wiki"},
		Spec: &configpb.Route{From: "https://wiki.example.com", To: []string{"http://wiki.internal:8080"}, PolicyIds: []string{pol.ID}}}
	r, err := store.Put(ctx, c.store, actor, route, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Spec.PassIdentityHeaders = new(true)
	if r, err = store.Put(ctx, c.store, actor, r, r.Version); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := store.Put(ctx, c.store, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "app-" + strconv.Itoa(i)},
			Spec: &configpb.Route{From: "https://app" + strconv.Itoa(i) + ".example.com", To: []string{"http://app.internal"}}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := webtest.SelfSigned(t, "wiki.example.com", time.Now().Add(20*24*time.Hour))
	kp, err := store.Put(ctx, c.store, actor, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "wiki-tls"},
		Certificate: cert}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := store.Put(ctx, c.store, actor, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "deployer"},
		Description: "CI deploys", ExpiresAt: time.Now().Add(90 * 24 * time.Hour)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A cluster besides the default one, on an embedded databroker of its
	// own, written as the use cases add one: its namespace, itself and its
	// settings.
	url, secret := webtest.DatabrokerServer(t)
	clusterID := uuid.NewString()
	if _, err := c.store.Apply(ctx, actor,
		&store.PutOp{Object: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: clusterID, NamespaceID: store.GlobalNamespaceID, Name: "eu-west"}, Cluster: true}, CreateOnly: true},
		&store.PutOp{Object: &store.Cluster{ObjectMeta: store.ObjectMeta{ID: clusterID, Name: "eu-west"}, DatabrokerServiceURL: url, SharedSecret: secret}, CreateOnly: true},
		&store.PutOp{Object: &store.Settings{ObjectMeta: store.ObjectMeta{ID: clusterID}, Spec: &configpb.Settings{}}, CreateOnly: true},
	); err != nil {
		t.Fatal(err)
	}
	// A data source of the default cluster whose last fetch failed after
	// a good one, so that its status shows both.
	ds, err := store.Put(ctx, c.store, actor, &store.DataSource{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID},
		URL: "https://directory.example.com/users.json", RecordType: "pomerium.io/DirectoryUser", ForeignKey: "id",
		Headers: map[string]string{"Authorization": "Bearer directory-token"}, PollingMinDelay: 5 * time.Minute}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fetched := time.Now().Add(-2 * time.Minute)
	if err := c.store.SetDataSourceStatus(ctx, store.DataSourceStatus{ID: ds.ID, ClusterID: store.DefaultClusterID, RecordType: ds.RecordType,
		LastFetch: fetched, LastSuccess: fetched.Add(-5 * time.Minute), Records: 1284, Fields: []string{"email", "groups", "id", "name"},
		LastError: "fetch: the server answered 503 Service Unavailable: down for maintenance", LastErrorAt: fetched}); err != nil {
		t.Fatal(err)
	}
	c.seedSessions(t)
	device := c.seedDevices(t)
	page, err := c.store.Activity(ctx, store.ActivityQuery{EntityID: r.ID, Limit: 2})
	if err != nil || len(page.Entries) != 2 {
		t.Fatalf("activity of the route: %v, %v", page, err)
	}
	return &seeded{namespace: ns.ID, policy: pol.ID, route: r.ID, keyPair: kp.ID, account: sa.ID, cluster: clusterID, dataSource: ds.ID,
		activity: page.Entries[0].ID, activityBefore: page.Entries[1].ID, device: device}
}

// screens lists every screen, with the seeded objects where a screen shows
// one.
func (s *seeded) screens() []screen {
	act := func(id int64) string { return strconv.FormatInt(id, 10) }
	return []screen{
		{"namespaces", "/namespaces"},
		{"namespace", "/namespaces/" + s.namespace},
		{"namespace-permissions", "/namespaces/" + s.namespace + "/permissions"},
		{"namespace-permissions-find", "/namespaces/" + s.namespace + "/permissions?find=alice"},
		{"routes", "/routes?namespace=" + s.namespace},
		{"route-new", "/routes/new?namespace=" + s.namespace},
		{"route-general", "/routes/" + s.route + "?tab=general"},
		{"route-matchers", "/routes/" + s.route + "?tab=matchers"},
		{"route-timeouts", "/routes/" + s.route + "?tab=timeouts"},
		{"route-headers", "/routes/" + s.route + "?tab=headers"},
		{"route-tls", "/routes/" + s.route + "?tab=tls"},
		{"route-lb", "/routes/" + s.route + "?tab=lb"},
		{"routes-import", "/routes/import"},
		{"policies", "/policies?namespace=" + s.namespace},
		{"policy-new", "/policies/new?namespace=" + s.namespace},
		{"policy", "/policies/" + s.policy},
		{"certificates", "/certificates"},
		{"certificate-new", "/certificates/new"},
		{"certificate", "/certificates/" + s.keyPair},
		{"service-accounts", "/service-accounts"},
		{"service-account-new", "/service-accounts/new"},
		{"service-account", "/service-accounts/" + s.account},
		{"activity", "/activity"},
		{"activity-entry", "/activity/" + act(s.activity)},
		{"activity-compare", "/activity/compare?entity_type=route&entity_id=" + s.route + "&from=" + act(s.activityBefore) + "&to=" + act(s.activity)},
		{"settings", "/settings"},
		{"status", "/status"},
		{"clusters", "/clusters"},
		{"cluster-new", "/clusters/new"},
		{"cluster", "/clusters/" + s.cluster},
		{"cluster-delete", "/clusters/" + s.cluster + "/delete"},
		{"data-sources", "/data-sources"},
		{"data-source-new", "/data-sources/new"},
		{"data-source", "/data-sources/" + s.dataSource},
		{"data-source-delete", "/data-sources/" + s.dataSource + "/delete"},
		{"sessions", "/sessions"},
		{"session", "/sessions/s-alice-1"},
		{"devices", "/devices"},
		{"device-delete", "/devices/delete?credential=" + s.device},
		{"device-types", "/devices/types"},
		{"device-type-new", "/devices/types/new"},
		{"device-type", "/devices/types/laptops"},
		{"device-enroll", "/devices/enroll"},
	}
}

// seedSessions writes into the default cluster's databroker, as Pomerium
// does, the sessions of alice (two), bob and the console's administrator
// (s-admin), alice's user record and a directory group of hers.
func (c *console) seedSessions(t *testing.T) {
	t.Helper()
	now := time.Now()
	var records []*databrokerpb.Record
	add := func(recordType, id string, m proto.Message) {
		data, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, &databrokerpb.Record{Type: recordType, Id: id, Data: data})
	}
	for i, s := range []struct{ id, user, email string }{
		{"s-alice-1", "u-alice", "alice@example.com"}, {"s-bob-1", "u-bob", "bob@example.com"},
		{"s-alice-2", "u-alice", "alice@example.com"}, {"s-admin", "user-" + webtest.Admin, webtest.Admin},
	} {
		email, _ := structpb.NewList([]any{s.email})
		issued := now.Add(-time.Duration(i+1) * 90 * time.Minute)
		add("type.googleapis.com/session.Session", s.id, &sessionpb.Session{
			Id: s.id, UserId: s.user, IssuedAt: timestamppb.New(issued), AccessedAt: timestamppb.New(now.Add(-time.Duration(i+1) * time.Minute)),
			ExpiresAt: timestamppb.New(issued.Add(14 * time.Hour)), IdToken: &sessionpb.IDToken{Issuer: "https://idp.example.com", Subject: s.user},
			Claims: map[string]*structpb.ListValue{"email": email}, Audience: []string{"wiki.example.com"},
		})
	}
	add("type.googleapis.com/user.User", "u-alice", &userpb.User{Id: "u-alice", Name: "Alice Liddell", Email: "alice@example.com"})
	alice, _ := structpb.NewStruct(map[string]any{"id": "u-alice", "group_ids": []any{"g-eng"}})
	eng, _ := structpb.NewStruct(map[string]any{"id": "g-eng", "name": "Engineering"})
	add("pomerium.io/DirectoryUser", "u-alice", alice)
	add("pomerium.io/DirectoryGroup", "g-eng", eng)
	if _, err := c.broker.Put(t.Context(), records); err != nil {
		t.Fatal(err)
	}
}

package compile

import (
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Two clusters besides the default one: eu (a child of Global) and us
// (below Team, a namespace of the default cluster).
const (
	nsEU     = "e0000000-0000-4000-8000-000000000001"
	nsUS     = "e0000000-0000-4000-8000-000000000002"
	nsEUTeam = "e0000000-0000-4000-8000-000000000003"
)

func clusterState(t *testing.T) *store.State {
	eu, us := namespace(nsEU, nsGlobal, "eu"), namespace(nsUS, nsTeam, "us")
	eu.Cluster, us.Cluster = true, true
	kp := func(id, ns string) *store.KeyPair {
		return keyPair(id, ns, "cert", readTestdata(t, "server.pem"), readTestdata(t, "server-key.pem"))
	}
	return &store.State{
		Namespaces: append(tree(), eu, us, namespace(nsEUTeam, nsEU, "eu team")),
		Policies: []*store.Policy{
			policy(policyID(1), nsGlobal, "guard", allowAll, true),
			policy(policyID(2), nsGlobal, "shared", allowAll, false),
			policy(policyID(3), nsEU, "eu only", allowAll, false),
			policy(policyID(4), nsTeam, "team", allowAll, true),
			policy(policyID(5), nsOther, "other", allowAll, false),
		},
		KeyPairs: []*store.KeyPair{kp(keyPairID(1), nsGlobal), kp(keyPairID(2), nsEU), kp(keyPairID(3), nsOther)},
		Routes: []*store.Route{
			// The same from in three clusters, no conflict.
			route(routeID(1), nsGlobal, "home", simpleRoute("https://app.example.com")),
			route(routeID(2), nsEUTeam, "eu app", &configpb.Route{From: "https://app.example.com", To: []string{"https://a.internal"},
				PolicyIds: []string{policyID(2), policyID(3)}}),
			route(routeID(3), nsUS, "us app", simpleRoute("https://app.example.com")),
			// A policy and a key pair of another cluster are out of reach.
			route(routeID(4), nsUS, "us borrows", &configpb.Route{From: "https://b.example.com", To: []string{"https://b.internal"},
				PolicyIds: []string{policyID(3)}}),
			route(routeID(5), nsEU, "eu borrows", &configpb.Route{From: "https://c.example.com", To: []string{"https://c.internal"},
				TlsClientKeyPairId: new(keyPairID(3))}),
			// A policy of a namespace of the default cluster beside the
			// cluster's is out of reach too.
			route(routeID(6), nsEU, "eu sideways", &configpb.Route{From: "https://d.example.com", To: []string{"https://d.internal"},
				PolicyIds: []string{policyID(5)}}),
		},
		Settings: &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: &configpb.Settings{}},
		ClusterSettings: []*store.Settings{
			{ObjectMeta: meta(nsEU, nsEU, ""), Spec: &configpb.Settings{CertificateKeyPairIds: []string{keyPairID(1), keyPairID(2)}}},
			{ObjectMeta: meta(nsUS, nsUS, ""), Spec: &configpb.Settings{CertificateKeyPairIds: []string{keyPairID(2)}}},
		},
	}
}

func TestClusters(t *testing.T) {
	t.Parallel()
	c := NewCompiler()
	c.Reset(clusterState(t))
	key := func(k store.Kind, id string) ObjectKey { return ObjectKey{Kind: k, ID: id} }
	valid := func(k ObjectKey) bool { s, _ := c.Status(k); return s.Valid }
	for _, id := range []string{routeID(1), routeID(2), routeID(3)} {
		if s, _ := c.Status(key(store.KindRoute, id)); !s.Valid {
			t.Errorf("route %s: %+v", id, s)
		}
	}
	for id, field := range map[string]string{routeID(4): "spec.policy_ids[0]", routeID(5): "spec.tls_client_key_pair_id", routeID(6): "spec.policy_ids[0]"} {
		if s, _ := c.Status(key(store.KindRoute, id)); s.Valid || s.Field != field || !strings.Contains(s.Reason, "belongs to cluster") {
			t.Errorf("route %s: %+v, want invalid at %s", id, s, field)
		}
	}
	if s, _ := c.Status(key(store.KindSettings, nsUS)); s.Valid || s.Field != "spec.certificate_key_pair_ids[0]" {
		t.Errorf("us settings naming eu's key pair: %+v", s)
	}
	if !valid(key(store.KindSettings, nsEU)) {
		t.Errorf("eu settings: invalid")
	}
	// The eu route carries the Global guard-rail; the us route that of
	// Team, above us, too.
	policies := func(id string) []string {
		r := findRoute(t, c.Result(), id)
		return r.PolicyIds
	}
	if got := policies(routeID(2)); !slices.Equal(got, []string{policyID(2), policyID(3), policyID(1)}) {
		t.Errorf("eu route policies %v", got)
	}
	if got := policies(routeID(3)); !slices.Equal(got, []string{policyID(1), policyID(4)}) {
		t.Errorf("us route policies %v", got)
	}

	for _, tc := range []struct {
		key   ObjectKey
		owner string
		in    []string // the clusters whose databroker wants its record
	}{
		{key(store.KindRoute, routeID(1)), nsGlobal, []string{nsGlobal}},
		{key(store.KindRoute, routeID(2)), nsEU, []string{nsEU}},
		{key(store.KindNamespace, nsEUTeam), nsEU, []string{nsEU}},
		{key(store.KindNamespace, nsUS), nsUS, []string{nsUS}},
		// Global's policies guard every cluster; Team's the us cluster
		// below it.
		{key(store.KindPolicy, policyID(1)), nsGlobal, []string{nsGlobal, nsEU, nsUS}},
		{key(store.KindPolicy, policyID(2)), nsGlobal, []string{nsGlobal, nsEU, nsUS}},
		{key(store.KindPolicy, policyID(4)), nsGlobal, []string{nsGlobal, nsUS}},
		{key(store.KindPolicy, policyID(3)), nsEU, []string{nsEU}},
		{key(store.KindPolicy, policyID(5)), nsGlobal, []string{nsGlobal}},
		// A key pair goes where its settings name it, its own cluster's
		// too.
		{key(store.KindKeyPair, keyPairID(1)), nsGlobal, []string{nsGlobal, nsEU}},
		{key(store.KindKeyPair, keyPairID(2)), nsEU, []string{nsEU}},
		{key(store.KindSettings, store.SettingsID), nsGlobal, []string{nsGlobal}},
		{key(store.KindSettings, nsEU), nsEU, []string{nsEU}},
	} {
		if got := c.Owner(tc.key); got != tc.owner {
			t.Errorf("owner of %s = %s, want %s", tc.key, got, tc.owner)
		}
		var in []string
		for _, cluster := range []string{nsGlobal, nsEU, nsUS} {
			if c.Belongs(tc.key, cluster) {
				in = append(in, cluster)
			}
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("%s belongs in %v, want %v", tc.key, in, tc.in)
		}
	}
	// A cluster's settings record bears its id and namespace.
	rec := findRecord(c.Result(), RecordTypeSettings, nsEU)
	if rec == nil {
		t.Fatal("no settings record of eu")
	}
	if s := decode(t, rec).(*configpb.Settings); s.GetId() != nsEU || s.GetNamespaceId() != nsEU {
		t.Errorf("eu settings record: %v", s)
	}
}

// A cluster's namespace below another's is invalid, with everything in it.
func TestClustersDoNotNest(t *testing.T) {
	t.Parallel()
	st := clusterState(t)
	inner := namespace("e0000000-0000-4000-8000-000000000009", nsEUTeam, "inner")
	inner.Cluster = true
	st.Namespaces = append(st.Namespaces, inner)
	res := Compile(st)
	if s := res.Status[ObjectKey{Kind: store.KindNamespace, ID: inner.ID}]; s.Valid || !strings.Contains(s.Reason, "cannot be below") {
		t.Errorf("a cluster's namespace below another's: %+v", s)
	}
}

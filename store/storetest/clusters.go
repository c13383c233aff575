package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// clusterSecret is the shared secret of the suite's clusters: 32 bytes.
var clusterSecret = []byte("never-shown-cluster-secret-store")

// addCluster writes a cluster with its namespace (below parent) and its
// settings, as the use cases add one, and returns the cluster.
func (f *fixture) addCluster(parent, name string) *store.Cluster {
	f.t.Helper()
	id := uuid.NewString()
	out := f.apply(apiActor,
		&store.PutOp{Object: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: parent, Name: name}, Cluster: true}},
		&store.PutOp{Object: newCluster(id, name)},
		&store.PutOp{Object: &store.Settings{ObjectMeta: store.ObjectMeta{ID: id}, Spec: &configpb.Settings{LogLevel: new("info")}}})
	return out[1].(*store.Cluster)
}

func newCluster(id, name string) *store.Cluster {
	return &store.Cluster{ObjectMeta: store.ObjectMeta{ID: id, Name: name},
		DatabrokerServiceURL: "https://databroker." + name + ".example.com", SharedSecret: clusterSecret}
}

func testClusters(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "SecretSealedAndReadOnlyWhenAsked", newEnv, func(t *testing.T, f *fixture) {
		c := f.addCluster(store.GlobalNamespaceID, "eu")
		if c.NamespaceID != store.GlobalNamespaceID || !c.HasSharedSecret || c.SharedSecret != nil {
			t.Errorf("written cluster: %+v", c)
		}
		got := get[*store.Cluster](f, c.ID)
		if got.SharedSecret != nil || !got.HasSharedSecret {
			t.Errorf("read without secrets: secret %q, has %v", got.SharedSecret, got.HasSharedSecret)
		}
		if got := get[*store.Cluster](f, c.ID, store.WithSecrets()); !bytes.Equal(got.SharedSecret, clusterSecret) {
			t.Errorf("read with secrets: %q", got.SharedSecret)
		}
		st, err := f.s.Load(f.ctx, store.WithSecrets())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Clusters) != 1 || !bytes.Equal(st.Clusters[0].SharedSecret, clusterSecret) {
			t.Errorf("loaded clusters: %+v", st.Clusters)
		}
		if len(st.ClusterSettings) != 1 || st.ClusterSettings[0].ID != c.ID || st.ClusterSettings[0].NamespaceID != c.ID {
			t.Errorf("loaded cluster settings: %+v", st.ClusterSettings)
		}
		if st.Settings == nil || st.Settings.ID != store.SettingsID {
			t.Errorf("the default cluster's settings: %+v", st.Settings)
		}
		// An update without a secret keeps it; the activity log says one
		// is stored and never holds it.
		c.SharedSecret, c.InsecureSkipVerify = nil, new(false)
		put(f, c)
		if got := get[*store.Cluster](f, c.ID, store.WithSecrets()); !bytes.Equal(got.SharedSecret, clusterSecret) || got.InsecureSkipVerify == nil || *got.InsecureSkipVerify {
			t.Errorf("after an update without a secret: %+v", got)
		}
		page, err := f.s.Activity(f.ctx, store.ActivityQuery{EntityID: c.ID, EntityType: store.KindCluster})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			if strings.Contains(e.Snapshot+e.Diff, string(clusterSecret)) || !strings.Contains(e.Snapshot, `"has_shared_secret": true`) {
				t.Errorf("activity snapshot:\n%s", e.Snapshot)
			}
		}
	})
	subtest(t, "Rules", newEnv, func(t *testing.T, f *fixture) {
		c := f.addCluster(store.GlobalNamespaceID, "eu")
		alone := newCluster(uuid.NewString(), "alone")
		f.rejectsPut(alone, store.CodeInvalid, "id")
		short := newCluster(c.ID, "eu")
		short.SharedSecret = []byte("short")
		f.rejectsPut(short, store.CodeInvalid, "shared_secret")
		for field, edit := range map[string]func(*store.Cluster){
			"name":                       func(c *store.Cluster) { c.Name = "Default" },
			"databroker_service_url":     func(c *store.Cluster) { c.DatabrokerServiceURL = "ftp://x.example.com" },
			"certificate_authority":      func(c *store.Cluster) { c.CertificateAuthority = []byte("not PEM") },
			"certificate_authority_file": func(c *store.Cluster) { c.CertificateAuthorityFile = new("a\nb") },
		} {
			bad := newCluster(c.ID, "eu")
			edit(bad)
			f.rejectsPut(bad, store.CodeInvalid, field)
		}
		// Names are unique among clusters, without regard to case.
		other := newCluster(uuid.NewString(), "EU")
		err := f.rejects(apiActor, store.CodeAlreadyExists, "name",
			&store.PutOp{Object: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: other.ID, NamespaceID: store.GlobalNamespaceID, Name: "eu-ns"}, Cluster: true}},
			&store.PutOp{Object: other})
		if err == nil {
			t.Error("a second cluster named EU was written")
		}
		// Settings other than the default cluster's bear a cluster's id.
		plain := put(f, newNamespace(store.GlobalNamespaceID, "plain"))
		f.rejectsPut(&store.Settings{ObjectMeta: store.ObjectMeta{ID: plain.ID}, Spec: &configpb.Settings{}}, store.CodeInvalid, "id")
		// Clusters do not nest; a cluster's namespace stays one.
		f.rejectsPut(&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: c.ID, Name: "inner"}, Cluster: true}, store.CodeInvalid, "namespace_id")
		ns := get[*store.Namespace](f, c.ID)
		ns.Cluster = false
		f.rejectsPut(ns, store.CodeInvalid, "cluster")
		plain.Cluster = true
		f.rejectsPut(plain, store.CodeInvalid, "cluster")
		// A namespace holding a cluster's cannot go below another cluster's.
		outer := put(f, newNamespace(store.GlobalNamespaceID, "outer"))
		d := f.addCluster(outer.ID, "us")
		outer.NamespaceID = c.ID
		f.rejectsPut(outer, store.CodeInvalid, "namespace_id")
		// A cluster's namespace goes only with the cluster.
		f.rejectsDelete(store.DeleteOp{Kind: store.KindNamespace, ID: c.ID, Cascade: true}, store.CodeFailedPrecondition, "")
		f.rejectsDelete(store.DeleteOp{Kind: store.KindNamespace, ID: outer.ID, Cascade: true}, store.CodeFailedPrecondition, "")
		_ = d
	})
	subtest(t, "DeleteRetiresThenForgets", newEnv, func(t *testing.T, f *fixture) {
		c := f.addCluster(store.GlobalNamespaceID, "eu")
		team := put(f, newNamespace(c.ID, "team"))
		r := put(f, newRoute(team.ID, "app", "https://app.example.com"))
		f.del(store.DeleteOp{Kind: store.KindCluster, ID: c.ID})
		retired := get[*store.Cluster](f, c.ID, store.WithSecrets())
		if !retired.Retiring || !bytes.Equal(retired.SharedSecret, clusterSecret) {
			t.Errorf("a deleted cluster is retiring with its secret: %+v", retired)
		}
		for _, obj := range []struct {
			kind store.Kind
			id   string
		}{{store.KindNamespace, c.ID}, {store.KindNamespace, team.ID}, {store.KindRoute, r.ID}, {store.KindSettings, c.ID}} {
			f.wantNotFound(obj.kind, obj.id)
		}
		// Its name is free at once.
		again := f.addCluster(store.GlobalNamespaceID, "eu")
		// A retiring cluster cannot be changed; a second delete forgets it.
		f.rejectsPut(newCluster(c.ID, "eu2"), store.CodeNotFound, "")
		f.del(store.DeleteOp{Kind: store.KindCluster, ID: c.ID})
		f.wantNotFound(store.KindCluster, c.ID)
		if _, err := f.s.Get(f.ctx, store.KindCluster, again.ID); err != nil {
			t.Errorf("the new cluster of the same name: %v", err)
		}
		var se *store.Error
		if err := store.Delete(f.ctx, f.s, apiActor, store.DeleteOp{Kind: store.KindCluster, ID: c.ID}); !errors.As(err, &se) || se.Code != store.CodeNotFound {
			t.Errorf("a third delete: %v", err)
		}
	})
}

package storetest

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// dataSourceToken is the secret header value of the suite's data sources.
const dataSourceToken = "never-shown-data-source-token"

func newDataSource(ns, recordType string) *store.DataSource {
	return &store.DataSource{ObjectMeta: store.ObjectMeta{NamespaceID: ns},
		URL: "https://directory.example.com/users.json", RecordType: recordType, ForeignKey: "id",
		Headers: map[string]string{"Authorization": "Bearer " + dataSourceToken}}
}

func testDataSources(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "HeadersSealedAndReadOnlyWhenAsked", newEnv, func(t *testing.T, f *fixture) {
		d := put(f, newDataSource(store.GlobalNamespaceID, "example.com/User"))
		if d.Headers != nil || strings.Join(d.HeaderNames, ",") != "Authorization" {
			t.Errorf("written data source: headers %v, names %v", d.Headers, d.HeaderNames)
		}
		if got := get[*store.DataSource](f, d.ID); got.Headers != nil || len(got.HeaderNames) != 1 {
			t.Errorf("read without secrets: %+v", got)
		}
		want := map[string]string{"Authorization": "Bearer " + dataSourceToken}
		if got := get[*store.DataSource](f, d.ID, store.WithSecrets()); !maps.Equal(got.Headers, want) {
			t.Errorf("read with secrets: %v", got.Headers)
		}
		st, err := f.s.Load(f.ctx, store.WithSecrets())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.DataSources) != 1 || !maps.Equal(st.DataSources[0].Headers, want) {
			t.Errorf("loaded data sources: %+v", st.DataSources)
		}
		// nil headers keep the stored ones; an empty map removes them.
		d.PollingMinDelay = 30 * time.Second
		d = put(f, d)
		if got := get[*store.DataSource](f, d.ID, store.WithSecrets()); !maps.Equal(got.Headers, want) || got.PollingMinDelay != 30*time.Second {
			t.Errorf("after an update without headers: %+v", got)
		}
		d.Headers = map[string]string{}
		put(f, d)
		if got := get[*store.DataSource](f, d.ID, store.WithSecrets()); len(got.Headers) != 0 || len(got.HeaderNames) != 0 {
			t.Errorf("after an update with no headers: %+v", got)
		}
		page, err := f.s.Activity(f.ctx, store.ActivityQuery{EntityID: d.ID, EntityType: store.KindDataSource})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 3 {
			t.Errorf("activity entries: %d, want 3", len(page.Entries))
		}
		for _, e := range page.Entries {
			if strings.Contains(e.Snapshot+e.Diff, dataSourceToken) {
				t.Errorf("activity snapshot holds a header value:\n%s", e.Snapshot)
			}
		}
	})
	subtest(t, "Rules", newEnv, func(t *testing.T, f *fixture) {
		c := f.addCluster(store.GlobalNamespaceID, "eu")
		put(f, newDataSource(c.ID, "example.com/User"))
		for field, edit := range map[string]func(*store.DataSource){
			"url":               func(d *store.DataSource) { d.URL = "file:///etc/passwd" },
			"record_type":       func(d *store.DataSource) { d.RecordType = "type.googleapis.com/session.Session" },
			"foreign_key":       func(d *store.DataSource) { d.ForeignKey = "" },
			"headers":           func(d *store.DataSource) { d.Headers = map[string]string{"X-A": "a\r\nb"} },
			"client_tls_key_id": func(d *store.DataSource) { d.ClientTLSKeyID = uuid.NewString() },
			"polling_min_delay": func(d *store.DataSource) { d.PollingMinDelay = time.Millisecond },
			"polling_max_delay": func(d *store.DataSource) { d.PollingMinDelay, d.PollingMaxDelay = time.Hour, time.Minute },
		} {
			bad := newDataSource(c.ID, "example.com/Other")
			edit(bad)
			f.rejectsPut(bad, store.CodeInvalid, field)
		}
		// One data source a record type in a cluster; another cluster may
		// have its own.
		f.rejectsPut(newDataSource(c.ID, "example.com/User"), store.CodeAlreadyExists, "record_type")
		put(f, newDataSource(store.GlobalNamespaceID, "example.com/User"))
		// A data source lives in a cluster's namespace.
		team := put(f, newNamespace(c.ID, "team"))
		f.rejectsPut(newDataSource(team.ID, "example.com/Team"), store.CodeInvalid, "namespace_id")
	})
	subtest(t, "KeyPairInUse", newEnv, func(t *testing.T, f *fixture) {
		cert := newCertificate(t, "client")
		kp := put(f, newKeyPair(store.GlobalNamespaceID, "client", cert.certPEM, cert.pkcs8PEM(t)))
		d := newDataSource(store.GlobalNamespaceID, "example.com/User")
		d.ClientTLSKeyID = kp.ID
		d = put(f, d)
		f.rejectsDelete(store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID}, store.CodeFailedPrecondition, "")
		f.del(store.DeleteOp{Kind: store.KindDataSource, ID: d.ID})
		f.del(store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID})
	})
	subtest(t, "GoWithTheirCluster", newEnv, func(t *testing.T, f *fixture) {
		c := f.addCluster(store.GlobalNamespaceID, "eu")
		d := put(f, newDataSource(c.ID, "example.com/User"))
		f.del(store.DeleteOp{Kind: store.KindCluster, ID: c.ID})
		f.wantNotFound(store.KindDataSource, d.ID)
	})
	subtest(t, "Status", newEnv, func(t *testing.T, f *fixture) {
		id := uuid.NewString()
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		want := store.DataSourceStatus{ID: id, ClusterID: store.DefaultClusterID, RecordType: "example.com/User",
			LastFetch: at, LastSuccess: at, Records: 2, Fields: []string{"email", "id"}, Holder: "one", UpdatedAt: at}
		if err := f.s.SetDataSourceStatus(f.ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.DataSourceStatuses(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "status", want, got[id])
		if err := f.s.RemoveDataSourceStatus(f.ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.DataSourceStatuses(f.ctx); err != nil || len(got) != 0 {
			t.Errorf("after removal: %v, %v", got, err)
		}
	})
}

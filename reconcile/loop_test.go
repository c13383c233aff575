package reconcile_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

const allowAll = "allow:\n  or:\n    - authenticated_user: 1\n"

func TestCreateUpdateDeletePropagate(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.startLoop("a")
		prod := e.put(namespace(store.GlobalNamespaceID, "Production")).(*store.Namespace)
		guard := e.put(policy(store.GlobalNamespaceID, "guard", allowAll, true)).(*store.Policy)
		own := e.put(policy(prod.ID, "own", allowAll, false)).(*store.Policy)
		r := e.put(route(prod.ID, "app", "https://app.example.com", own.ID)).(*store.Route)

		e.eventually("the route record with its own and the enforced policy", func() bool {
			rec := e.route(r.ID)
			return rec != nil && slices.Equal(rec.PolicyIds, []string{own.ID, guard.ID}) &&
				rec.GetOriginatorId() == compile.OriginatorID && rec.GetNamespaceId() == prod.ID
		})
		if _, ok := e.records(compile.RecordTypePolicy)[own.ID]; !ok {
			t.Errorf("policy record %s missing", own.ID)
		}
		e.eventually("status synced", func() bool {
			s := e.status(store.KindRoute, r.ID)
			return s.State == store.SyncSynced && s.ObjectVersion == r.Version && s.RecordVersion > 0
		})

		r.Spec.To = []string{"http://v2.internal:8080"}
		r = e.put(r).(*store.Route)
		e.eventually("the updated route record", func() bool {
			rec := e.route(r.ID)
			return rec != nil && slices.Equal(rec.To, []string{"http://v2.internal:8080"})
		})

		if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindRoute, ID: r.ID}); err != nil {
			t.Fatal(err)
		}
		e.eventually("the route record gone", func() bool { return e.route(r.ID) == nil })
	})
}

func TestInvalidRouteLeavesOthersWorking(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.startLoop("a")
		good := e.put(route(store.GlobalNamespaceID, "good", "https://good.example.com")).(*store.Route)
		bad := e.put(route(store.GlobalNamespaceID, "bad", "good.example.com/no-scheme")).(*store.Route)
		e.eventually("the good route written and the bad one reported", func() bool {
			return e.route(good.ID) != nil && e.status(store.KindRoute, bad.ID).State == store.SyncError
		})
		if s := e.status(store.KindRoute, bad.ID); s.Reason == "" {
			t.Errorf("error status without a reason: %+v", s)
		}
		if e.route(bad.ID) != nil {
			t.Error("an invalid route was written to the databroker")
		}

		// A valid route that becomes invalid keeps its last good record.
		good.Spec.From = "ftp://good.example.com"
		e.put(good)
		e.eventually("the broken route reported", func() bool { return e.status(store.KindRoute, good.ID).State == store.SyncError })
		if rec := e.route(good.ID); rec == nil || rec.From != "https://good.example.com" {
			t.Errorf("last good record of a route that became invalid: %v", rec)
		}
	})
}

func TestDatabrokerRestartResyncs(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		l := e.startLoop("a")
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		e.eventually("the route in the first databroker", func() bool { return e.route(r.ID) != nil })
		first, compilations := e.serverVersion(), l.FullCompilations()

		e.restartBroker() // empty, new server version, same address
		if e.serverVersion() == first {
			t.Fatal("the restarted databroker kept its server version")
		}
		e.eventually("the route written again after the restart", func() bool { return e.route(r.ID) != nil })
		// A new view is all a reset needs: desired state has not changed.
		if n := l.FullCompilations() - compilations; n != 0 {
			t.Errorf("the reset cost %d compilations of all of desired state, want none", n)
		}
	})
}

func TestDriftIsRepaired(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		l := e.startLoop("a")
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		var want *configpb.Route
		e.eventually("the route record", func() bool { want = e.route(r.ID); return want != nil })

		edited := proto.CloneOf(want)
		edited.To = []string{"http://evil.internal"}
		if _, err := e.client.Put(e.ctx, []*pb.Record{recordOf(t, compile.RecordTypeRoute, r.ID, edited)}); err != nil {
			t.Fatal(err)
		}
		e.eventually("the edited record repaired", func() bool {
			got := e.route(r.ID)
			return got != nil && proto.Equal(got, want)
		})

		tomb := recordOf(t, compile.RecordTypeRoute, r.ID, &configpb.Route{})
		tomb.DeletedAt = timestamppb.Now()
		if _, err := e.client.Put(e.ctx, []*pb.Record{tomb}); err != nil {
			t.Fatal(err)
		}
		e.eventually("the deleted record written again", func() bool { return e.route(r.ID) != nil })
		// The pass counts its repairs once its writes have returned, which may
		// be after the record shows.
		e.eventually("both repairs counted (drift_repaired_total >= 2)", func() bool {
			return testutil.ToFloat64(l.metrics.DriftRepaired) >= 2
		})
	})
}

func TestRecordsOfOthersUntouched(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		foreign := &configpb.Route{Id: proto.String("3b0c1a64-0000-4000-8000-000000000001"), OriginatorId: proto.String("someone-else"),
			From: "https://theirs.example.com", To: []string{"http://theirs.internal"}}
		if _, err := e.client.Put(e.ctx, []*pb.Record{recordOf(t, compile.RecordTypeRoute, foreign.GetId(), foreign)}); err != nil {
			t.Fatal(err)
		}
		l := e.startLoop("a")
		r := e.put(route(store.GlobalNamespaceID, "app", "https://app.example.com")).(*store.Route)
		e.eventually("our route written", func() bool { return e.route(r.ID) != nil })
		if got := e.route(foreign.GetId()); !proto.Equal(got, foreign) {
			t.Errorf("a record of another writer changed: %v", got)
		}
		if n := testutil.ToFloat64(l.metrics.RecordsDeleted); n != 0 {
			t.Errorf("records_deleted_total = %v, want 0", n)
		}
	})
}

func TestOneWriterAndTakeover(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		a := e.startLoop("a")
		e.eventually("a holds the lease", func() bool { return testutil.ToFloat64(a.metrics.LeaseHeld) == 1 })
		b := e.startLoop("b")
		r := e.put(route(store.GlobalNamespaceID, "one", "https://one.example.com")).(*store.Route)
		e.eventually("the route written", func() bool { return e.route(r.ID) != nil })
		if testutil.ToFloat64(b.metrics.LeaseHeld) != 0 || testutil.ToFloat64(b.metrics.RecordsPut) != 0 {
			t.Fatal("the second instance wrote while the first held the lease")
		}

		a.stop() // releases the lease
		r2 := e.put(route(store.GlobalNamespaceID, "two", "https://two.example.com")).(*store.Route)
		e.eventually("b takes over and writes", func() bool { return e.route(r2.ID) != nil })
		if testutil.ToFloat64(b.metrics.LeaseHeld) != 1 {
			t.Error("b writes without holding the lease")
		}
		// The pass records its health after its writes.
		wait.Until(t, "b reported as the writer", 15*time.Second, func() (bool, string) {
			health, err := e.store.Health(e.ctx)
			return err == nil && len(health) == 1 && health[0].Holder == "b", fmt.Sprintf("%+v, %v", health, err)
		})
	})
}

func TestConvergesAfterInterruptedRun(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		keep := e.put(route(store.GlobalNamespaceID, "keep", "https://keep.example.com")).(*store.Route)
		stale := e.put(route(store.GlobalNamespaceID, "stale", "https://stale.example.com")).(*store.Route)
		missing := e.put(route(store.GlobalNamespaceID, "missing", "https://missing.example.com")).(*store.Route)
		// What a console killed half-way through left behind: one record
		// written, one outdated, one of a route deleted since, one not written.
		st, err := e.store.Load(e.ctx, store.WithSecrets())
		if err != nil {
			t.Fatal(err)
		}
		res := compile.Compile(st)
		var partial []*pb.Record
		for _, rec := range res.Records {
			switch rec.Id {
			case keep.ID:
				partial = append(partial, rec)
			case stale.ID:
				var old configpb.Route
				if err := rec.Data.UnmarshalTo(&old); err != nil {
					t.Fatal(err)
				}
				old.To = []string{"http://old.internal"}
				partial = append(partial, recordOf(t, compile.RecordTypeRoute, stale.ID, &old))
			}
		}
		gone := proto.CloneOf(partial[0])
		gone.Id = "3b0c1a64-0000-4000-8000-0000000000ff"
		partial = append(partial, gone)
		if _, err := e.client.Put(e.ctx, partial); err != nil {
			t.Fatal(err)
		}

		l := e.startLoop("a")
		e.eventually("the databroker equal to desired state", func() bool {
			recs := e.records(compile.RecordTypeRoute)
			_, hasGone := recs[gone.Id]
			s := e.route(stale.ID)
			return len(recs) == 3 && !hasGone && e.route(missing.ID) != nil && s != nil && s.To[0] == "http://upstream.internal:8080"
		})
		// Level-triggered: another pass with nothing to change writes nothing.
		puts, deletes := testutil.ToFloat64(l.metrics.RecordsPut), testutil.ToFloat64(l.metrics.RecordsDeleted)
		sa := e.put(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "wake"}})
		e.eventually("a pass after the unrelated write", func() bool {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) == 1 && h[0].SyncedVersion >= sa.GetObjectMeta().Version
		})
		if p, d := testutil.ToFloat64(l.metrics.RecordsPut), testutil.ToFloat64(l.metrics.RecordsDeleted); p != puts || d != deletes {
			t.Errorf("a pass with no change wrote %v puts and %v deletes", p-puts, d-deletes)
		}
	})
}

func TestKeyPairWrittenWithItsKey(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		e.startLoop("a")
		e.eventually("the loop's first pass", func() bool {
			h, err := e.store.Health(e.ctx)
			return err == nil && len(h) == 1 && !h[0].LastSuccess.IsZero()
		})
		// Created after the loop's first full load: it reaches the loop as a
		// change, which carries no secret.
		cert, key := selfSigned(t, "app.example.com")
		kp := e.put(&store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "app"},
			Certificate: cert, PrivateKey: key}).(*store.KeyPair)
		e.eventually("the key pair record with its key", func() bool {
			rec, ok := e.records(compile.RecordTypeKeyPair)[kp.ID]
			if !ok {
				return false
			}
			var got configpb.KeyPair
			return rec.Data.UnmarshalTo(&got) == nil && string(got.Key) == string(key) && string(got.Certificate) == string(cert)
		})
		// The pass writes statuses after records.
		wait.Until(t, "the key pair synced", 15*time.Second, func() (bool, string) {
			s := e.status(store.KindKeyPair, kp.ID)
			return s.State == store.SyncSynced, fmt.Sprintf("%+v", s)
		})
	})
}

// TestSpecSecretsReachTheRecords: the route and settings secrets the store
// seals at rest reach the databroker as they were written, through the
// loop's first full load (the settings' IdP client secret and cookie
// secret) and through a change read after it (a route's client key).
func TestSpecSecretsReachTheRecords(t *testing.T) {
	t.Parallel()
	onEachBroker(t, func(t *testing.T, e *env) {
		idp, cookie := "idp-client-secret-at-rest", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("c", 32)))
		e.put(&store.Settings{Spec: &configpb.Settings{IdpClientId: new("console"), IdpClientSecret: new(idp), CookieSecret: new(cookie)}})
		e.startLoop("a")
		e.eventually("the settings record with its secrets", func() bool {
			rec, ok := e.records(compile.RecordTypeSettings)[store.SettingsID]
			var got configpb.Settings
			return ok && rec.Data.UnmarshalTo(&got) == nil && got.GetIdpClientSecret() == idp && got.GetCookieSecret() == cookie
		})
		cert, key := selfSigned(t, "mtls.example.com")
		r := route(store.GlobalNamespaceID, "mtls", "https://mtls.example.com")
		r.Spec.TlsClientCert, r.Spec.TlsClientKey = base64.StdEncoding.EncodeToString(cert), base64.StdEncoding.EncodeToString(key)
		r = e.put(r).(*store.Route)
		e.eventually("the route record with its client key", func() bool {
			rec := e.route(r.ID)
			return rec != nil && rec.TlsClientKey == r.Spec.TlsClientKey && rec.TlsClientCert == r.Spec.TlsClientCert
		})
	})
}

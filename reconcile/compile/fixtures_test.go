package compile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

var (
	created  = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	modified = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
)

// Fixed ids keep records and golden files stable.
const (
	nsGlobal = store.GlobalNamespaceID
	nsTeam   = "a0000000-0000-4000-8000-000000000001"
	nsApp    = "a0000000-0000-4000-8000-000000000002"
	nsOther  = "a0000000-0000-4000-8000-000000000003"
)

func testID(kind byte, n int) string { return fmt.Sprintf("%c0000000-0000-4000-8000-%012d", kind, n) }

func policyID(n int) string  { return testID('b', n) }
func routeID(n int) string   { return testID('c', n) }
func keyPairID(n int) string { return testID('d', n) }

func meta(id, namespaceID, name string) store.ObjectMeta {
	return store.ObjectMeta{ID: id, NamespaceID: namespaceID, Name: name, Origin: store.OriginAPI, CreatedAt: created, ModifiedAt: modified, Version: 1}
}

func namespace(id, parent, name string) *store.Namespace {
	return &store.Namespace{ObjectMeta: meta(id, parent, name)}
}

func policy(id, namespaceID, name, ppl string, enforced bool) *store.Policy {
	return &store.Policy{ObjectMeta: meta(id, namespaceID, name), PPL: ppl, Enforced: enforced}
}

func route(id, namespaceID, name string, spec *configpb.Route) *store.Route {
	return &store.Route{ObjectMeta: meta(id, namespaceID, name), Spec: spec}
}

func keyPair(id, namespaceID, name string, cert, key []byte) *store.KeyPair {
	return &store.KeyPair{ObjectMeta: meta(id, namespaceID, name), Certificate: cert, PrivateKey: key, HasPrivateKey: len(key) > 0}
}

// tree is Global > Team > App, plus Other beside Team.
func tree() []*store.Namespace {
	return []*store.Namespace{
		namespace(nsGlobal, "", "Global"),
		namespace(nsTeam, nsGlobal, "Team"),
		namespace(nsApp, nsTeam, "App"),
		namespace(nsOther, nsGlobal, "Other"),
	}
}

func simpleRoute(from string) *configpb.Route {
	return &configpb.Route{From: from, To: []string{"https://upstream.internal"}}
}

const allowAll = "allow:\n  or:\n    - accept: true\n"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode returns the message of a record.
func decode(t testing.TB, rec *databroker.Record) proto.Message {
	t.Helper()
	msg, err := rec.GetData().UnmarshalNew()
	if err != nil {
		t.Fatalf("record %s/%s: %v", rec.GetType(), rec.GetId(), err)
	}
	return msg
}

// findRecord returns the record of type and id, or nil.
func findRecord(res *Result, recordType, id string) *databroker.Record {
	for _, rec := range res.Records {
		if rec.Type == recordType && rec.Id == id {
			return rec
		}
	}
	return nil
}

func findRoute(t testing.TB, res *Result, id string) *configpb.Route {
	t.Helper()
	rec := findRecord(res, RecordTypeRoute, id)
	if rec == nil {
		t.Fatalf("no route record %s; status %+v", id, res.Status[ObjectKey{store.KindRoute, id}])
	}
	return decode(t, rec).(*configpb.Route)
}

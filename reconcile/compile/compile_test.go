package compile

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestRecordTypesAreTypeURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got string
		msg proto.Message
	}{
		{RecordTypeRoute, &configpb.Route{}},
		{RecordTypePolicy, &configpb.Policy{}},
		{RecordTypeKeyPair, &configpb.KeyPair{}},
		{RecordTypeSettings, &configpb.Settings{}},
	} {
		want := "type.googleapis.com/" + string(tc.msg.ProtoReflect().Descriptor().FullName())
		if tc.got != want {
			t.Errorf("record type %q, want %q", tc.got, want)
		}
	}
}

func TestCompileNilAndEmpty(t *testing.T) {
	t.Parallel()
	for _, st := range []*store.State{nil, {}} {
		res := Compile(st)
		if len(res.Records) != 0 || len(res.Status) != 0 {
			t.Errorf("Compile(%v) = %d records, %d statuses; want none", st, len(res.Records), len(res.Status))
		}
	}
}

// TestCompileRecords checks the exact content of one record of each type.
func TestCompileRecords(t *testing.T) {
	t.Parallel()
	st := &store.State{
		Namespaces: tree(),
		Policies: []*store.Policy{
			{ObjectMeta: meta(policyID(1), nsTeam, "admins"), PPL: allowAll, Description: "d", Explanation: "e", Remediation: "r", Enforced: true},
		},
		Routes: []*store.Route{route(routeID(1), nsApp, "app", &configpb.Route{
			From:              "https://app.example.com",
			To:                []string{"https://a.internal", "https://b.internal"},
			SetRequestHeaders: map[string]string{"x-b": "2", "x-a": "1"},
		})},
		KeyPairs: []*store.KeyPair{keyPair(keyPairID(1), nsGlobal, "ca", readTestdata(t, "ca.pem"), nil)},
		Settings: &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: &configpb.Settings{CookieName: new("_pomerium")}},
	}
	res := Compile(st)

	var order []string
	for _, rec := range res.Records {
		order = append(order, rec.Type)
	}
	wantOrder := []string{RecordTypeKeyPair, RecordTypePolicy, RecordTypeSettings, RecordTypeRoute}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Fatalf("record order (-want +got):\n%s", diff)
	}

	wantRoute := &configpb.Route{
		Id: new(routeID(1)), NamespaceId: new(nsApp), OriginatorId: new(OriginatorID), Name: new("app"),
		From: "https://app.example.com", To: []string{"https://a.internal", "https://b.internal"},
		SetRequestHeaders: map[string]string{"x-a": "1", "x-b": "2"},
		PolicyIds:         []string{policyID(1)},
		CreatedAt:         timestamppb.New(created), ModifiedAt: timestamppb.New(modified),
		NamespaceName: new("App"),
	}
	wantPolicy := &configpb.Policy{
		Id: new(policyID(1)), NamespaceId: new(nsTeam), OriginatorId: new(OriginatorID), Name: new("admins"),
		Description: new("d"), Enforced: new(true), SourcePpl: new(allowAll), Explanation: new("e"), Remediation: new("r"),
		CreatedAt: timestamppb.New(created), ModifiedAt: timestamppb.New(modified), NamespaceName: new("Team"),
	}
	wantSettings := &configpb.Settings{
		Id: new(store.SettingsID), NamespaceId: new(nsGlobal), OriginatorId: new(OriginatorID),
		CookieName: new("_pomerium"), CreatedAt: timestamppb.New(created), ModifiedAt: timestamppb.New(modified),
	}
	for _, tc := range []struct {
		recordType, id string
		want           proto.Message
	}{
		{RecordTypeRoute, routeID(1), wantRoute},
		{RecordTypePolicy, policyID(1), wantPolicy},
		{RecordTypeSettings, store.SettingsID, wantSettings},
	} {
		rec := findRecord(res, tc.recordType, tc.id)
		if rec == nil {
			t.Fatalf("no %s record %s", tc.recordType, tc.id)
		}
		if diff := cmp.Diff(tc.want, decode(t, rec), protocmp.Transform()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.recordType, diff)
		}
	}
	for key, status := range res.Status {
		if !status.Valid {
			t.Errorf("%s: %+v, want valid", key, status)
		}
	}
	if n := len(res.Status); n != 8 {
		t.Errorf("%d statuses, want 8 (4 namespaces, policy, route, key pair, settings)", n)
	}
}

// TestCompileDeterministic checks that the records do not depend on the order
// of the input or on map iteration.
func TestCompileDeterministic(t *testing.T) {
	t.Parallel()
	build := func(shuffle bool) *store.State {
		st := &store.State{Namespaces: tree()}
		for i := range 20 {
			st.Policies = append(st.Policies, policy(policyID(i), nsTeam, "p", allowAll, i%3 == 0))
			st.Routes = append(st.Routes, route(routeID(i), nsApp, "r", &configpb.Route{
				From:              "https://r" + string(rune('a'+i)) + ".example.com",
				To:                []string{"https://upstream.internal"},
				PolicyIds:         []string{policyID(i)},
				SetRequestHeaders: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"},
			}))
		}
		if shuffle {
			r := rand.New(rand.NewPCG(1, 2))
			r.Shuffle(len(st.Routes), func(i, j int) { st.Routes[i], st.Routes[j] = st.Routes[j], st.Routes[i] })
			r.Shuffle(len(st.Policies), func(i, j int) { st.Policies[i], st.Policies[j] = st.Policies[j], st.Policies[i] })
			r.Shuffle(len(st.Namespaces), func(i, j int) { st.Namespaces[i], st.Namespaces[j] = st.Namespaces[j], st.Namespaces[i] })
		}
		return st
	}
	want := Compile(build(false))
	for range 5 {
		got := Compile(build(true))
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Fatalf("records differ between runs (-first +later):\n%s", diff)
		}
	}
}

func TestCompileDoesNotModifyState(t *testing.T) {
	t.Parallel()
	spec := &configpb.Route{From: "https://a.example.com", To: []string{"https://u"}, PolicyIds: []string{policyID(1)}}
	st := &store.State{
		Namespaces: tree(),
		Policies:   []*store.Policy{policy(policyID(1), nsGlobal, "p", allowAll, false), policy(policyID(2), nsGlobal, "e", allowAll, true)},
		Routes:     []*store.Route{route(routeID(1), nsApp, "r", spec)},
	}
	before := proto.Clone(spec)
	Compile(st)
	if diff := cmp.Diff(before, spec, protocmp.Transform()); diff != "" {
		t.Errorf("spec modified (-before +after):\n%s", diff)
	}
}

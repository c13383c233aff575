package compile

import (
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden compiles whole trees and compares the records and statuses,
// rendered as indented JSON with sorted keys, with testdata/*.golden.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		state func(testing.TB) *store.State
	}{
		{"inheritance", inheritanceState},
		{"mixed", mixedState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := renderResult(t, Compile(tc.state(t)))
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reconcile/compile -update to create it)", err)
			}
			if diff := gocmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got); if the change is intended run go test ./reconcile/compile -update:\n%s", path, diff)
			}
		})
	}
}

type goldenRecord struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data"`
}

type goldenStatus struct {
	Kind   store.Kind `json:"kind"`
	ID     string     `json:"id"`
	Valid  bool       `json:"valid"`
	Field  string     `json:"field,omitempty"`
	Reason string     `json:"reason,omitempty"`
}

// renderResult gives a stable text form of a result: protojson is re-read
// and re-indented because its own whitespace is deliberately unstable.
func renderResult(t testing.TB, res *Result) []byte {
	t.Helper()
	out := struct {
		Records []goldenRecord `json:"records"`
		Status  []goldenStatus `json:"status"`
	}{Records: []goldenRecord{}}
	for _, rec := range res.Records {
		raw, err := protojson.Marshal(rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		var data any
		if err := json.Unmarshal(raw, &data); err != nil {
			t.Fatal(err)
		}
		out.Records = append(out.Records, goldenRecord{Type: rec.Type, ID: rec.Id, Data: data})
	}
	for key, s := range res.Status {
		out.Status = append(out.Status, goldenStatus{Kind: key.Kind, ID: key.ID, Valid: s.Valid, Field: s.Field, Reason: s.Reason})
	}
	slices.SortFunc(out.Status, func(a, b goldenStatus) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// inheritanceState has enforced policies on three levels (Global > Team >
// App) and beside them (Other), and a route in each namespace.
func inheritanceState(t testing.TB) *store.State {
	return &store.State{
		Namespaces: tree(),
		Policies: []*store.Policy{
			policy(policyID(1), nsGlobal, "corp users", "allow:\n  or:\n    - domain: {is: example.com}\n", true),
			policy(policyID(2), nsGlobal, "no deletes", `{"deny": {"or": [{"http_method": {"is": "DELETE"}}]}}`, true),
			policy(policyID(3), nsTeam, "team group", "allow:\n  and:\n    - groups: {has: team}\n", true),
			policy(policyID(4), nsApp, "office network", "deny:\n  not:\n    - source_ip: [10.0.0.0/8]\n", true),
			policy(policyID(5), nsOther, "other group", "allow:\n  and:\n    - groups: other\n", true),
			policy(policyID(6), nsApp, "admins only", "- allow:\n    or:\n      - email: {ends_with: '@admins.example.com'}\n", false),
		},
		Routes: []*store.Route{
			route(routeID(1), nsGlobal, "portal", simpleRoute("https://portal.example.com")),
			route(routeID(2), nsTeam, "wiki", &configpb.Route{From: "https://wiki.example.com", To: []string{"https://wiki.internal"}, PolicyIds: []string{policyID(3)}}),
			route(routeID(3), nsApp, "app admin", &configpb.Route{
				From: "https://app.example.com", Prefix: "/admin", To: []string{"https://app.internal"},
				PolicyIds: []string{policyID(6)}, TlsCustomCaKeyPairId: new(keyPairID(1)),
				SetRequestHeaders: map[string]string{"X-Team": "app", "X-Env": "prod"},
			}),
			route(routeID(4), nsOther, "other", simpleRoute("https://other.example.com")),
		},
		KeyPairs: []*store.KeyPair{keyPair(keyPairID(1), nsTeam, "internal ca", readTestdata(t, "ca.pem"), nil)},
		Settings: &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: &configpb.Settings{
			AuthenticateServiceUrl: new("https://authenticate.example.com"),
			CookieName:             new("_console"),
		}},
	}
}

// mixedState holds valid objects beside invalid ones of every kind.
func mixedState(t testing.TB) *store.State {
	const loose = "e0000000-0000-4000-8000-000000000001"
	notLoaded := keyPair(keyPairID(2), nsGlobal, "secret not loaded", readTestdata(t, "client.pem"), nil)
	notLoaded.HasPrivateKey = true
	return &store.State{
		Namespaces: append(tree(), namespace(loose, "e0000000-0000-4000-8000-000000000099", "Loose")),
		Policies: []*store.Policy{
			policy(policyID(1), nsGlobal, "baseline", allowAll, true),
			policy(policyID(2), nsTeam, "typo", "allow:\n  and:\n    - email: {equals: a@example.com}\n", false),
			policy(policyID(3), loose, "lost", allowAll, false),
			policy(policyID(4), nsApp, "fine", "allow:\n  and:\n    - claim/department: sales\n", false),
		},
		Routes: []*store.Route{
			route(routeID(1), nsApp, "good", &configpb.Route{From: "https://good.example.com", To: []string{"https://good.internal"}, PolicyIds: []string{policyID(4)}}),
			route(routeID(2), nsApp, "uses typo", &configpb.Route{From: "https://typo.example.com", To: []string{"https://typo.internal"}, PolicyIds: []string{policyID(2)}}),
			route(routeID(3), nsTeam, "no scheme", simpleRoute("nowhere.example.com")),
			route(routeID(4), nsTeam, "first", simpleRoute("https://dup.example.com")),
			route(routeID(5), nsOther, "second", simpleRoute("https://dup.example.com/")),
			route(routeID(6), loose, "lost route", simpleRoute("https://lost.example.com")),
			route(routeID(7), nsOther, "client cert", &configpb.Route{From: "https://mtls.example.com", To: []string{"https://mtls.internal"}, TlsClientKeyPairId: new(keyPairID(2))}),
			route(routeID(8), nsOther, "redirect", &configpb.Route{From: "https://old.example.com", Redirect: &configpb.RouteRedirect{HostRedirect: new("new.example.com")}}),
		},
		KeyPairs: []*store.KeyPair{
			keyPair(keyPairID(1), nsGlobal, "server", readTestdata(t, "server.pem"), readTestdata(t, "server-key.pem")),
			notLoaded,
		},
		Settings: &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: &configpb.Settings{
			AuthenticateServiceUrl: new("authenticate.example.com"),
		}},
	}
}

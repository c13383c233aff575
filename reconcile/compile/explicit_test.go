package compile

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// explicitState is what a client of the dashboard API writes when it sets
// every optional field without presence in Pomerium's records to its zero
// value (allow_websockets false, prefix "", session_recording.enabled
// false, …) beside fields that have presence there; with explicit, the
// store keeps which ones it set, as it does since it keeps presence.
func explicitState(explicit bool) *store.State {
	st := &store.State{
		Namespaces: append(tree(), namespace(testID('a', 9), nsGlobal, "no cluster")),
		Routes: []*store.Route{
			route(routeID(1), nsGlobal, "zeroes", &configpb.Route{
				From: "https://zeroes.example.com", To: []string{"https://upstream.internal"},
				Description: new(""), PassIdentityHeaders: new(false), RegexPriorityOrder: new(int64(0)),
				JwtGroupsFilterInferFromPpl: new(false), SessionRecording: &configpb.SessionRecording{},
			}),
		},
		Settings: &store.Settings{ObjectMeta: meta(store.SettingsID, nsGlobal, ""), Spec: &configpb.Settings{
			AuthenticateServiceUrl: new("https://authenticate.example.com"),
			InsecureServer:         new(false), LogLevel: new(""),
		}},
	}
	if explicit {
		st.Routes[0].Explicit = qualified("pomerium.dashboard.Route",
			"allow_spdy", "allow_websockets", "kubernetes_service_account_token", "kubernetes_service_account_token_file",
			"path", "prefix", "prefix_rewrite", "preserve_host_header", "regex", "regex_rewrite_pattern",
			"regex_rewrite_substitution", "session_recording.enabled", "tls_downstream_server_name", "tls_skip_verify",
			"tls_upstream_allow_renegotiation", "tls_upstream_server_name")
		st.Settings.Explicit = qualified("pomerium.dashboard.Settings", "authorize_service_url", "codec_type", "databroker_service_url")
		st.Namespaces[len(st.Namespaces)-1].Explicit = qualified("pomerium.dashboard.Namespace", "cluster_id")
	}
	return st
}

// qualified names the fields of message.
func qualified(message string, paths ...string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = message + ":" + p
	}
	return out
}

// renderBytes lists the records of a result one a line, with their data
// as the bytes the databroker receives, base64.
func renderBytes(res *Result) []byte {
	var lines []string
	for _, rec := range res.Records {
		lines = append(lines, fmt.Sprintf("%s %s %s %s", rec.Type, rec.Id, rec.Data.TypeUrl, base64.StdEncoding.EncodeToString(rec.Data.Value)))
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// TestExplicitZeroesCompileAsBefore holds the records of explicitState,
// with and without the fields the store keeps as explicit, to the bytes
// the compiler wrote for it before the console kept them
// (testdata/explicit.golden): they are the console's own and never reach
// Pomerium. The file is never rewritten: a difference is a change to what
// Pomerium receives.
func TestExplicitZeroesCompileAsBefore(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "explicit.golden")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, explicit := range []bool{false, true} {
		got := renderBytes(Compile(explicitState(explicit)))
		if diff := gocmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("explicit %v: records differ from %s (-want +got):\n%s", explicit, path, diff)
		}
	}
	// Policies and key pairs keep explicit fields of their own, for
	// pomerium.config messages: their records are those of before too.
	st := explicitState(false)
	st.Policies = []*store.Policy{policy(policyID(1), nsGlobal, "zeroes", allowAll, false)}
	st.KeyPairs = []*store.KeyPair{keyPair(keyPairID(1), nsGlobal, "no key", readTestdata(t, "ca.pem"), nil)}
	plain := renderBytes(Compile(st))
	st.Policies[0].Explicit = qualified("pomerium.config.Policy", "description", "enforced", "explanation", "remediation")
	st.KeyPairs[0].Explicit = qualified("pomerium.config.KeyPair", "key")
	if diff := gocmp.Diff(string(plain), string(renderBytes(Compile(st)))); diff != "" {
		t.Errorf("explicit fields of policies and key pairs change their records (-without +with):\n%s", diff)
	}
}

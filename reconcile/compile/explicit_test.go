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
// false, …) beside fields that have presence there.
func explicitState() *store.State {
	return &store.State{
		Namespaces: tree(),
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

// TestExplicitZeroesCompileAsBefore holds the records of explicitState to
// the bytes the compiler wrote for it before the console kept which fields
// a client set explicitly (testdata/explicit.golden). The file is never
// rewritten: a difference is a change to what Pomerium receives.
func TestExplicitZeroesCompileAsBefore(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "explicit.golden")
	got := renderBytes(Compile(explicitState()))
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("records differ from %s (-want +got):\n%s", path, diff)
	}
}

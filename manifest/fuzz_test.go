package manifest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/store"
)

// nullIsAbsent compares a spec written as null with one left out: both
// decode to no spec, and Encode writes an absent one as null.
var nullIsAbsent = cmp.Comparer(func(a, b json.RawMessage) bool {
	norm := func(m json.RawMessage) string {
		if s := strings.TrimSpace(string(m)); s != "null" {
			return s
		}
		return ""
	}
	return norm(a) == norm(b)
})

// FuzzDecode feeds the decoder of apply's documents arbitrary bytes: it
// never panics and answers in bounded time (alias bombs and deep nesting
// included); a refusal says why; a document it accepts encodes, in either
// format, to one that decodes equal; and planning it against a bare state
// never panics, each refusal naming its object.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"format: pomerium-console/v1\n",
		"format: pomerium-console/v1\nnamespaces:\n- path: Global/Engineering\npolicies:\n- namespace: Global\n  name: all\n  ppl: 'allow: {or: [{accept: true}]}'\nroutes:\n- namespace: Global/Engineering\n  name: app\n  spec: {from: 'https://app.example.com', to: ['https://app.internal'], policy_ids: [Global/all]}\n",
		`{"format": "pomerium-console/v1", "routes": [{"namespace": "Global", "name": "a", "spec": {"from": "https://a.example.com"}}]}`,
		"format: other/v2\n",
		"format: pomerium-console/v1\nformat: pomerium-console/v1\n",
		"format: pomerium-console/v1\nunknown: 1\n",
		"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nformat: pomerium-console/v1\n",
		strings.Repeat("[", 500) + strings.Repeat("]", 500),
		"format: pomerium-console/v1\nnamespaces:\n- path: \"Global/caf\xe9\"\n",
		"format: pomerium-console/v1\npolicies:\n- {namespace: Global, name: \"'; DROP TABLE objects; --\", ppl: '{{ .Secret }}'}\n",
	} {
		f.Add([]byte(seed))
	}
	global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global", Version: 1}}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		doc, err := manifest.Decode(data)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("decoding %d bytes took %v", len(data), d)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refusal without a reason")
			}
			return
		}
		for _, format := range []string{"yaml", "json"} {
			out, err := manifest.Encode(doc, format)
			if err != nil {
				t.Fatalf("accepted document does not encode as %s: %v", format, err)
			}
			back, err := manifest.Decode(out)
			if err != nil {
				t.Fatalf("accepted document encoded as %s does not decode: %v\n%s", format, err, out)
			}
			// An empty list is written as none: the same document.
			if diff := cmp.Diff(doc, back, nullIsAbsent, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("accepted document changed through %s (-read +again):\n%s", format, diff)
			}
		}
		plan, err := manifest.NewPlan(doc, &store.State{Namespaces: []*store.Namespace{global}}, manifest.PlanOptions{Now: time.Unix(1_800_000_000, 0)})
		if err != nil {
			return
		}
		for _, r := range plan.Refused {
			if r.Reason == "" || (r.Item == "" && r.Name == "") {
				t.Fatalf("refusal %+v names no object or reason", r)
			}
		}
	})
}

// TestKeysAreCaseSensitive: a key in another letter case is refused,
// naming it; encoding/json alone would have read "Policies" as policies
// and kept one of the two lists of a document holding both.
func TestKeysAreCaseSensitive(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		"format: pomerium-console/v1\npolicies:\n- {namespace: Global, name: a, ppl: x}\nPolicies:\n- {namespace: Global, name: b, ppl: x}\n": "Policies: unknown field; keys are case-sensitive: write policies",
		"formAt: pomerium-console/v1\n": "formAt: unknown field",
		"format: pomerium-console/v1\nroutes:\n- {Namespace: Global, name: a, spec: {}}\n": "routes[0].Namespace: unknown field",
	} {
		_, err := manifest.Decode([]byte(doc))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
	// A spec is protojson, whose own names it keeps.
	if _, err := manifest.Decode([]byte("format: pomerium-console/v1\nroutes:\n- {namespace: Global, name: a, spec: {From: x}}\n")); err != nil {
		t.Errorf("a spec's keys were checked as the document's: %v", err)
	}
}

package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// FuzzParse feeds Parse arbitrary bytes: it must return routes or an error,
// never panic or hang, and whatever routes it returns must be ready to write
// and compile, each route of the file either read or refused.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"config.yaml", "config-changed.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"routes: []\n",
		"policy:\n- {from: https://a.example.com, to: 'http://a,1'}\n",
		"routes:\n- &r {from: https://a.example.com, to: http://a, policy: *r}\n",
		"x: &x {a: 1}\nroutes:\n- <<: [*x, *x]\n  from: https://a.example.com\n  to: http://a\n",
		"routes:\n- from: https://a.example.com\n  to: http://a\n  allowed_idp_claims: {groups: [a, b]}\n  policy: [{allow: {or: [{accept: 1}]}}]\n",
		"routes: cm91dGVzOiBbXQo=\n",
		"routes:\n- {from: https://a.example.com, response: {status: 200}, mcp: {client: {}}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := importer.Parse(data)
		if err != nil {
			return
		}
		seen, sources := make(map[string]bool), make(map[string]bool)
		for _, r := range file.Routes {
			if r.Name == "" || seen[r.Name] {
				t.Fatalf("route %s has an empty or repeated name %q", r.Source(), r.Name)
			}
			seen[r.Name] = true
			if r.Spec.From == "" {
				t.Fatalf("route %s has no from", r.Source())
			}
			if status := compile.CheckRoute(r.Spec); !status.Valid {
				t.Fatalf("route %s does not compile: %s: %s", r.Source(), status.Field, status.Reason)
			}
			if sources[r.Source()] {
				t.Fatalf("route %s is read twice", r.Source())
			}
			sources[r.Source()] = true
		}
		for _, e := range file.Refused {
			if sources[e.Source()] {
				t.Fatalf("route %s is both read and refused", e.Source())
			}
			sources[e.Source()] = true
		}
	})
}

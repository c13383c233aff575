package importer_test

import (
	"errors"
	"testing"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// A route compilation refuses (ftp://, or tcp:// where Pomerium serves
// tcp+https://) is refused by the import, dry run or not, naming the route
// and the field, instead of being written to sit in sync error.
func TestImportRefusesWhatCompileRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, from, want string }{
		{"ftp", "ftp://a.example.com",
			`routes[1] (from ftp://a.example.com): from: scheme "ftp" is not one of http, https, tcp+https, udp+https, ssh`},
		{"tcp", "tcp://db:5432",
			`routes[1] (from tcp://db:5432): from: scheme "tcp" is not served: write tcp+https://host:port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			before := storeVersion(t, s)
			file := "routes:\n  - {from: https://ok.example.com, to: http://ok}\n  - {from: '" + tc.from + "', to: http://x}\n"
			for _, dryRun := range []bool{true, false} {
				_, err := importer.Import(t.Context(), s, []byte(file), importer.Options{DryRun: dryRun})
				if err == nil || err.Error() != tc.want {
					t.Errorf("dry run %t: error %v, want %s", dryRun, err, tc.want)
				}
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("dry run %t: errors.Is(%v, store.ErrInvalid) = false", dryRun, err)
				}
			}
			if v := storeVersion(t, s); v != before {
				t.Errorf("store version moved from %d to %d", before, v)
			}
		})
	}
}

// Parse checks a route with compile.CheckRoute before Import adds policy_ids
// and key pair references; the spec the import writes must still pass, so
// that the check is the one that matters.
func TestPlannedRoutesCompile(t *testing.T) {
	t.Parallel()
	res := mustImport(t, newStore(t), readFile(t, "config.yaml"), importer.Options{DryRun: true})
	for _, c := range res.Plan {
		r, ok := c.Object.(*store.Route)
		if !ok {
			continue
		}
		if status := compile.CheckRoute(r.Spec); !status.Valid {
			t.Errorf("route %q (%s): %s: %s", c.Name, c.Source, status.Field, status.Reason)
		}
	}
}

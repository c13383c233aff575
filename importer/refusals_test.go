package importer_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/hack/testcert"
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
				res, err := importer.Import(t.Context(), s, []byte(file), importer.Options{DryRun: dryRun})
				if err == nil || err.Error() != tc.want {
					t.Errorf("dry run %t: error %v, want %s", dryRun, err, tc.want)
				}
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("dry run %t: errors.Is(%v, store.ErrInvalid) = false", dryRun, err)
				}
				var re *importer.RouteError
				if !errors.As(err, &re) || re.Source() != "routes[1]" || re.Field != "from" {
					t.Errorf("dry run %t: error %v: want a RouteError about routes[1], field from", dryRun, err)
				}
				switch {
				case !dryRun && res != nil:
					t.Errorf("a refused import returned a result: %+v", res)
				case dryRun && (res == nil || len(res.Refused) != 1 || !slices.Equal(res.Routes, []string{"ok.example.com"})):
					t.Errorf("dry run: %+v, want the plan of routes[0] and the refusal of routes[1]", res)
				}
			}
			if v := storeVersion(t, s); v != before {
				t.Errorf("store version moved from %d to %d", before, v)
			}
		})
	}
}

// oversizedPolicy is a route whose access rules make a policy larger than
// the store takes: a refusal that only planning finds.
func oversizedPolicy(from string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - from: %s\n    to: http://big\n    allowed_users:\n", from)
	for i := range 3_000 {
		fmt.Fprintf(&b, "      - user%05d@example.com\n", i)
	}
	return b.String()
}

// everyRefusal is a file with routes refused for every reason the importer
// has: one planning refuses (routes[0]), one with a key Pomerium does not
// have, one compilation refuses and one whose policy is not PPL.
var everyRefusal = "routes:\n" + oversizedPolicy("https://big.example.com") + `
  - {from: https://ok.example.com, to: http://ok, allowed_users: [a@example.com]}
  - {from: https://b.example.com, to: http://b, colour: red}
  - {from: 'ftp://c.example.com', to: http://c}
  - from: https://d.example.com
    to: http://d
    policy:
      allow:
        or:
          - colour: {is: red}
  - {from: https://e.example.com, to: http://e}
`

// wantEveryRefusal are the lines of the error for everyRefusal, in file
// order, after its first line.
var wantEveryRefusal = []string{
	`  routes[0] (from https://big.example.com): policy: policy `,
	`  routes[2] (from https://b.example.com): colour: unknown route key`,
	`  routes[3] (from ftp://c.example.com): from: scheme "ftp" is not one of http, https, tcp+https, udp+https, ssh`,
	`  routes[4] (from https://d.example.com): policy: is not valid PPL: allow.or[0]: unknown criterion "colour"`,
}

// One call reports every refused route, whether parsing or planning
// refuses it, so that a file is fixed in one round; nothing is written.
func TestImportReportsEveryRefusedRoute(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	before := storeVersion(t, s)
	_, err := importer.Import(t.Context(), s, []byte(everyRefusal), importer.Options{})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "4 routes are refused:" || len(lines) != 1+len(wantEveryRefusal) {
		t.Fatalf("error\n%v\nwant 4 routes refused, one per line", err)
	}
	for i, want := range wantEveryRefusal {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("line %d\n  %s\nwant\n  %s", i+1, lines[i+1], want)
		}
	}
	if !strings.Contains(lines[1], "at most 262144 allowed") {
		t.Errorf("the oversized policy's refusal does not say why: %s", lines[1])
	}
	if !errors.Is(err, store.ErrInvalid) || store.CodeOf(err) != store.CodeInvalid {
		t.Errorf("errors.Is(err, store.ErrInvalid) = %t, store.CodeOf = %q; want an invalid-argument error",
			errors.Is(err, store.ErrInvalid), store.CodeOf(err))
	}
	if v := storeVersion(t, s); v != before {
		t.Errorf("store version moved from %d to %d: the good routes were written", before, v)
	}
	var all *importer.RouteErrors
	if !errors.As(err, &all) || len(all.Routes) != 4 {
		t.Fatalf("error %v is not a RouteErrors of four routes", err)
	}

	// A dry run plans the good routes beside the same refusals.
	res, dryErr := importer.Import(t.Context(), s, []byte(everyRefusal), importer.Options{DryRun: true})
	if !errors.As(dryErr, &all) || len(all.Routes) != 4 || res == nil {
		t.Fatalf("dry run: %+v, %v; want a plan and the same four refusals", res, dryErr)
	}
	var refused []string
	for _, e := range res.Refused {
		refused = append(refused, e.Source())
	}
	if diff := cmp.Diff([]string{"routes[0]", "routes[2]", "routes[3]", "routes[4]"}, refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	var plan []string
	for _, c := range res.Plan {
		plan = append(plan, fmt.Sprintf("%s %s %q (%s)", c.Action, c.Kind, c.Name, c.Source))
	}
	wantPlan := []string{
		`create policy "ok.example.com access" (routes[1])`,
		`create route "ok.example.com" (routes[1])`,
		`create route "e.example.com" (routes[5])`,
	}
	if diff := cmp.Diff(wantPlan, plan); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if v := storeVersion(t, s); v != before {
		t.Errorf("store version moved from %d to %d in a dry run", before, v)
	}
}

// Refusals come in the order Parse reads the routes, the routes list before
// the older policy list, whichever comes first in the file.
func TestRefusalsInFileOrder(t *testing.T) {
	t.Parallel()
	const file = "policy:\n- {from: 'ftp://p.example.com', to: http://p}\nroutes:\n- {from: 'ftp://r.example.com', to: http://r}\n"
	_, err := importer.Import(t.Context(), newStore(t), []byte(file), importer.Options{})
	const want = "2 routes are refused:\n" +
		`  routes[0] (from ftp://r.example.com): from: scheme "ftp" is not one of http, https, tcp+https, udp+https, ssh` + "\n" +
		`  policy[0] (from ftp://p.example.com): from: scheme "ftp" is not one of http, https, tcp+https, udp+https, ssh`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

// A refused route brings no key pair into the plan: neither one Parse
// refuses nor one planning refuses.
func TestRefusedRoutesBringNoKeyPairs(t *testing.T) {
	t.Parallel()
	ca, _ := testcert.SelfSigned(t, []string{"ca.example.com"}, time.Time{})
	tls := "    tls_custom_ca: " + base64.StdEncoding.EncodeToString(ca) + "\n"
	file := "routes:\n" +
		"  - from: 'ftp://a.example.com'\n    to: https://a.internal\n" + tls +
		oversizedPolicy("https://big.example.com") + tls +
		"  - {from: https://ok.example.com, to: https://ok.internal}\n"
	f, err := importer.Parse([]byte(file))
	if err != nil || len(f.Refused) != 1 || len(f.KeyPairs) != 1 || f.KeyPairs[0].Source != "routes[1]" {
		t.Fatalf("Parse: %v; want routes[0] refused and the key pair first used by routes[1]", err)
	}
	res, err := importer.ImportFile(t.Context(), newStore(t), f, importer.Options{DryRun: true})
	if err == nil || res == nil || len(res.Refused) != 2 {
		t.Fatalf("dry run: %+v, %v; want routes[0] and routes[1] refused", res, err)
	}
	if len(res.KeyPairs) != 0 || len(res.Plan) != 1 || res.Plan[0].Name != "ok.example.com" {
		t.Errorf("plan %+v, want routes[2] alone", res.Plan)
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

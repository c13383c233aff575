package manifest_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var encode = manifest.Encode

// TestExportApplyIsANoOp: applying what export wrote, in either format,
// with or without secrets, changes nothing.
func TestExportApplyIsANoOp(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		storetest.WriteScene(t, c.st)
		before := c.version()
		for _, format := range []string{"yaml", "json"} {
			for _, secrets := range []bool{false, true} {
				doc := c.export("", format, secrets)
				if format == "yaml" && !secrets {
					t.Logf("export:\n%s", doc)
				}
				res, err := c.apply(doc, true, false)
				if err != nil {
					t.Fatalf("%s, secrets %v: %v (refused %v)", format, secrets, err, res)
				}
				for _, ch := range res.Changes {
					t.Errorf("%s, secrets %v: %s %s %s\n%s", format, secrets, ch.Action, ch.Kind, ch.Name, ch.Diff)
				}
			}
		}
		if after := c.version(); after != before {
			t.Errorf("store version %d after applying exports, was %d", after, before)
		}
	})
}

// TestApplyOntoAnEmptyConsole: a document exported with secrets, applied
// to an empty console of the other backend, makes a console whose own
// export is the same document: every field of every object comes across,
// by name, whatever the ids. Only the account without a chosen user stays
// behind: the console chooses the ids of accounts.
func TestApplyOntoAnEmptyConsole(t *testing.T) {
	t.Parallel()
	for from, openFrom := range backends {
		for to, openTo := range backends {
			t.Run(from+"-to-"+to, func(t *testing.T) {
				t.Parallel()
				src, dst := newConsole(t, openFrom(t)), newConsole(t, openTo(t))
				storetest.WriteScene(t, src.st)
				doc := decode(t, src.export("", "yaml", true))
				var robot string
				doc.ServiceAccounts = slices.DeleteFunc(doc.ServiceAccounts, func(sa manifest.ServiceAccount) bool {
					robot = cmp.Or(robot, sa.ID)
					return sa.ID != ""
				})
				res, err := dst.apply(encodeDoc(t, doc), false, false)
				if err != nil {
					t.Fatalf("%v: %v", err, refusals(res))
				}
				if len(res.Tokens) != 2 {
					t.Errorf("tokens of %d new accounts, want 2", len(res.Tokens))
				}
				// Both through Decode, which orders the keys of specs.
				want := string(encodeDoc(t, doc))
				if got := string(encodeDoc(t, decode(t, dst.export("", "yaml", true)))); got != want {
					t.Errorf("the new console exports another document:\n%s", lineDiff(want, got))
				}
				if !strings.Contains(want, robot) {
					t.Errorf("the permission of account %s was not kept", robot)
				}
			})
		}
	}
}

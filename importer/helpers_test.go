package importer_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func newStore(t *testing.T) store.Store {
	t.Helper()
	return storetest.Embedded(t, make([]byte, store.EncryptionKeySize))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustImport(t *testing.T, s store.Store, data []byte, opts importer.Options) *importer.Result {
	t.Helper()
	res, err := importer.Import(t.Context(), s, data, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got, run with -update to accept):\n%s", path, diff)
	}
}

// idNames maps every id of the store to a readable label, so that golden
// files do not depend on the random ids of a run.
func idNames(t *testing.T, s store.Store) *strings.Replacer {
	t.Helper()
	st, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	add := func(obj store.Object) {
		m := obj.GetObjectMeta()
		pairs = append(pairs, m.ID, fmt.Sprintf("<%s %s>", obj.Kind(), m.Name))
	}
	for _, o := range st.Objects() {
		add(o)
	}
	return strings.NewReplacer(pairs...)
}

// renderNamespace renders the key pairs, policies and routes of a namespace
// as stable text: ids replaced by names, certificates by a digest, PPL as
// written.
func renderNamespace(t *testing.T, s store.Store, ns string) string {
	t.Helper()
	st, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	names := idNames(t, s)
	var b strings.Builder
	for _, kp := range sortedIn(st.KeyPairs, ns) {
		fmt.Fprintf(&b, "=== key_pair %q origin=%s has_private_key=%t\ncertificate sha256:%x\n\n",
			kp.Name, kp.Origin, kp.HasPrivateKey, sha256.Sum256(kp.Certificate))
	}
	for _, p := range sortedIn(st.Policies, ns) {
		fmt.Fprintf(&b, "=== policy %q origin=%s enforced=%t\ndescription: %s\n%s\n", p.Name, p.Origin, p.Enforced, p.Description, p.PPL)
	}
	for _, r := range sortedIn(st.Routes, ns) {
		snap, err := store.Snapshot(r)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "=== route %q\n%s\n\n", r.Name, names.Replace(snap))
	}
	return b.String()
}

func sortedIn[T store.Object](objs []T, ns string) []T {
	var out []T
	for _, o := range objs {
		if o.GetObjectMeta().NamespaceID == ns {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(a.GetObjectMeta().Name, b.GetObjectMeta().Name) })
	return out
}

// renderPlan renders what an import did, one line per object, with the
// diffs of updates.
func renderPlan(t *testing.T, s store.Store, res *importer.Result) string {
	t.Helper()
	names := idNames(t, s)
	var b strings.Builder
	fmt.Fprintf(&b, "created=%d updated=%d unchanged=%d\n", res.Created, res.Updated, res.Unchanged)
	for _, c := range res.Plan {
		fmt.Fprintf(&b, "%-9s %-8s %q (%s)\n", c.Action, c.Kind, c.Name, c.Source)
		if c.Diff != "" {
			b.WriteString(names.Replace(c.Diff))
		}
	}
	return b.String()
}

func storeVersion(t *testing.T, s store.Store) int64 {
	t.Helper()
	v, err := s.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func activityCount(t *testing.T, s store.Store) int {
	t.Helper()
	page, err := s.Activity(t.Context(), store.ActivityQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.TotalCount
}

func newNamespace(t *testing.T, s store.Store, parent, name string) string {
	t.Helper()
	ns, err := store.Put(t.Context(), s, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ns.ID
}

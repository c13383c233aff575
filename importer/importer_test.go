package importer_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

func TestImportCreatesRoutesPoliciesAndKeyPairs(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	res := mustImport(t, s, readFile(t, "config.yaml"), importer.Options{})

	golden(t, "config.golden", renderNamespace(t, s, store.GlobalNamespaceID))
	if res.Created != 17 || res.Updated != 0 || res.Unchanged != 0 {
		t.Errorf("created/updated/unchanged = %d/%d/%d, want 17/0/0", res.Created, res.Updated, res.Unchanged)
	}
	wantIgnored := []string{"authenticate_service_url", "idp_provider", "idp_provider_url", "idp_client_id",
		"idp_client_secret", "shared_secret", "cookie_secret", "x-defaults"}
	if diff := cmp.Diff(wantIgnored, res.IgnoredKeys); diff != "" {
		t.Errorf("ignored keys (-want +got):\n%s", diff)
	}
	if len(res.Routes) != 8 || len(res.Policies) != 7 || len(res.KeyPairs) != 2 {
		t.Errorf("routes/policies/key pairs = %v / %v / %v", res.Routes, res.Policies, res.KeyPairs)
	}
	page, err := s.Activity(t.Context(), store.ActivityQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if e.EntityType == store.KindNamespace {
			continue // the store's own creation of the Global namespace
		}
		if e.Subject != "import" || e.Origin != store.OriginImport {
			t.Errorf("activity entry by %s/%s, want import/import", e.Subject, e.Origin)
		}
	}
}

func TestImportTwiceWritesNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	data := readFile(t, "config.yaml")
	mustImport(t, s, data, importer.Options{})
	version, entries := storeVersion(t, s), activityCount(t, s)

	res := mustImport(t, s, data, importer.Options{})
	if res.Created != 0 || res.Updated != 0 || res.Unchanged != 17 {
		t.Errorf("created/updated/unchanged = %d/%d/%d, want 0/0/17", res.Created, res.Updated, res.Unchanged)
	}
	if v := storeVersion(t, s); v != version {
		t.Errorf("store version moved from %d to %d", version, v)
	}
	if n := activityCount(t, s); n != entries {
		t.Errorf("activity log grew from %d to %d entries", entries, n)
	}
}

func TestImportChangedFileUpdatesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	mustImport(t, s, readFile(t, "config.yaml"), importer.Options{})
	version := storeVersion(t, s)

	res := mustImport(t, s, readFile(t, "config-changed.yaml"), importer.Options{})
	golden(t, "config-changed.plan.golden", renderPlan(t, s, res))
	if res.Created != 2 || res.Updated != 2 || res.Unchanged != 15 {
		t.Errorf("created/updated/unchanged = %d/%d/%d, want 2/2/15", res.Created, res.Updated, res.Unchanged)
	}
	if got, want := storeVersion(t, s), version+4; got != want {
		t.Errorf("store version %d, want %d: one write per changed object", got, want)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	version, entries := storeVersion(t, s), activityCount(t, s)

	res := mustImport(t, s, readFile(t, "config.yaml"), importer.Options{DryRun: true})
	if !res.DryRun || res.Created != 17 || len(res.Plan) != 17 {
		t.Errorf("dry run: DryRun=%t created=%d plan=%d, want true/17/17", res.DryRun, res.Created, len(res.Plan))
	}
	for _, c := range res.Plan {
		if c.Action != importer.ActionCreate || c.Object == nil || c.ID == "" {
			t.Errorf("plan entry %+v: want a create with its object and id", c)
		}
		if kp, ok := c.Object.(*store.KeyPair); ok && len(kp.PrivateKey) > 0 {
			t.Errorf("plan entry for key pair %q carries the private key", kp.Name)
		}
	}
	if v := storeVersion(t, s); v != version {
		t.Errorf("store version moved from %d to %d", version, v)
	}
	if n := activityCount(t, s); n != entries {
		t.Errorf("activity log grew from %d to %d entries", entries, n)
	}
}

func TestBadRouteWritesNothing(t *testing.T) {
	t.Parallel()
	const file = `
routes:
  - from: https://a.example.com
    to: http://a
    allow_any_authenticated_user: true
  - from: https://b.example.com
    to: http://b
    policy:
      allow:
        or:
          - colour: {is: red}
  - from: https://c.example.com
    to: http://c
`
	s := newStore(t)
	version := storeVersion(t, s)
	_, err := importer.Import(t.Context(), s, []byte(file), importer.Options{})
	const want = `routes[1] (from https://b.example.com): policy: is not valid PPL: allow.or[0]: unknown criterion "colour"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("errors.Is(%v, store.ErrInvalid) = false", err)
	}
	if v := storeVersion(t, s); v != version {
		t.Errorf("store version moved from %d to %d: the good routes were written", version, v)
	}
}

func TestImportRefusesKubernetesObjects(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	k8s := store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}
	_, err := s.Apply(t.Context(), k8s, &store.PutOp{Object: &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Grafana", OriginRef: "Ingress monitoring/grafana"},
		Spec:       &configpb.Route{From: "https://grafana.example.com", To: []string{"http://grafana"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	version := storeVersion(t, s)

	_, err = importer.Import(t.Context(), s, readFile(t, "config.yaml"), importer.Options{})
	if err == nil || !strings.Contains(err.Error(), `route "Grafana" (Ingress monitoring/grafana)`) {
		t.Fatalf("error %v, want one naming the Kubernetes route", err)
	}
	if !errors.Is(err, store.ErrFailedPrecondition) {
		t.Errorf("errors.Is(%v, store.ErrFailedPrecondition) = false", err)
	}
	if v := storeVersion(t, s); v != version {
		t.Errorf("store version moved from %d to %d", version, v)
	}
}

// A policy attached to an imported route in the console stays attached when
// the file is imported again.
func TestImportKeepsPoliciesAttachedInTheConsole(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	data := readFile(t, "config.yaml")
	res := mustImport(t, s, data, importer.Options{})
	route := findChange(t, res, store.KindRoute, "Grafana")

	api := store.Actor{Subject: "admin@example.com", Origin: store.OriginAPI}
	extra, err := store.Put(t.Context(), s, api, &store.Policy{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "office network"},
		PPL:        "deny:\n  not:\n    - source_ip: 10.0.0.0/8\n",
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := store.Get[*store.Route](t.Context(), s, route.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.Spec.PolicyIds = append([]string{extra.ID}, r.Spec.PolicyIds...)
	if _, err := store.Put(t.Context(), s, api, r, r.Version); err != nil {
		t.Fatal(err)
	}
	version := storeVersion(t, s)

	again := mustImport(t, s, data, importer.Options{})
	if again.Updated != 0 || storeVersion(t, s) != version {
		t.Errorf("second import updated %d objects, want none", again.Updated)
	}
	r, err = store.Get[*store.Route](t.Context(), s, route.ID)
	if err != nil {
		t.Fatal(err)
	}
	own := findChange(t, res, store.KindPolicy, "Grafana access")
	if want := []string{extra.ID, own.ID}; !slices.Equal(r.Spec.PolicyIds, want) {
		t.Errorf("policy_ids %v, want %v", r.Spec.PolicyIds, want)
	}
}

func TestImportIntoNamespacePath(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	prod := newNamespace(t, s, store.GlobalNamespaceID, "Production")
	res := mustImport(t, s, readFile(t, "config.yaml"), importer.Options{Namespace: "Global/Production"})
	if res.NamespaceID != prod {
		t.Fatalf("imported into %s, want %s", res.NamespaceID, prod)
	}
	for _, c := range res.Plan {
		if ns := c.Object.GetObjectMeta().NamespaceID; ns != prod {
			t.Errorf("%s %q written to namespace %s, want %s", c.Kind, c.Name, ns, prod)
		}
	}
	_, err := importer.Import(t.Context(), s, readFile(t, "config.yaml"), importer.Options{Namespace: "Production/Staging"})
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("import into a missing namespace: error %v, want not found", err)
	}
}

func findChange(t *testing.T, res *importer.Result, k store.Kind, name string) importer.Change {
	t.Helper()
	for _, c := range res.Plan {
		if c.Kind == k && c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s %q in the plan", k, name)
	return importer.Change{}
}

// TestChangesAndCommitMayRefuseThePlan: an import whose Changes refuses a
// change (here, its key pair) writes nothing, nor does one whose Commit
// refuses the plan once every change is written; a dry run does not ask
// Commit.
func TestChangesAndCommitMayRefuseThePlan(t *testing.T) {
	t.Parallel()
	s := storetest.Embedded(t, make([]byte, 32))
	ca, _ := testcert.SelfSigned(t, []string{"ca.example.com"}, time.Time{})
	data := []byte("routes:\n  - from: https://a.example.com\n    to: https://a.internal\n    tls_custom_ca: " + base64.StdEncoding.EncodeToString(ca) + "\n")
	before, err := s.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	errNoKeyPairs := errors.New("no key pairs")
	_, err = importer.Import(t.Context(), s, data, importer.Options{Changes: func(c importer.Change) error {
		if c.Kind == store.KindKeyPair {
			return errNoKeyPairs
		}
		return nil
	}})
	if !errors.Is(err, errNoKeyPairs) {
		t.Fatalf("import refused by Changes: %v", err)
	}
	var seen []store.Kind
	errNotNow := errors.New("not now")
	_, err = importer.Import(t.Context(), s, data, importer.Options{
		Changes: func(c importer.Change) error {
			seen = append(seen, c.Kind)
			if c.Object.GetObjectMeta().Version == 0 {
				t.Errorf("the %s handed over in a write is not as written", c.Kind)
			}
			return nil
		},
		Commit: func() error { return errNotNow },
	})
	if !errors.Is(err, errNotNow) || !slices.Equal(seen, []store.Kind{store.KindKeyPair, store.KindRoute}) {
		t.Fatalf("import refused by Commit: %v after %v", err, seen)
	}
	if after, err := s.Version(t.Context()); err != nil || after != before {
		t.Fatalf("a refused import wrote: version %d, want %d (%v)", after, before, err)
	}
	asked := 0
	if _, err := importer.Import(t.Context(), s, data, importer.Options{DryRun: true, Commit: func() error { asked++; return nil }}); err != nil || asked != 0 {
		t.Fatalf("dry run: %v, Commit asked %d times, want never", err, asked)
	}
	if res, err := importer.Import(t.Context(), s, data, importer.Options{Commit: func() error { asked++; return nil }}); err != nil || res.Created != 2 || asked != 1 {
		t.Fatalf("committed import: %+v, %v, Commit asked %d times", res, err, asked)
	}
}

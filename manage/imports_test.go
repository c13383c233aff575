package manage

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestImportReportsRefusedRoutesOfAFileNotPlanned: a file that would
// overwrite a route Kubernetes manages is refused as a whole, and the
// routes the file itself refuses come back beside that refusal, in a dry
// run and a write alike, so that the file is fixed in one round.
func TestImportReportsRefusedRoutesOfAFileNotPlanned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	kubernetes := store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}
	if _, err := store.Put(f.ctx, f.store, kubernetes, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns.ID, Name: "kube", OriginRef: "Ingress default/kube"},
		Spec:       &configpb.Route{From: "https://kube.example.com", To: []string{"https://upstream.internal"}},
	}, 0); err != nil {
		t.Fatal(err)
	}
	const file = `routes:
  - {from: 'ftp://files.example.com', to: https://files.internal}
  - {name: kube, from: https://kube.example.com, to: https://x.internal}
`
	before, err := f.store.Version(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, dryRun := range []bool{true, false} {
		plan, err := f.app.Import(f.ctx, f.admin(), ImportInput{Namespace: ns.ID, Content: []byte(file), DryRun: dryRun})
		wantRefusal(t, "a file that would overwrite a Kubernetes route", err, CodeFailedPrecondition, "")
		if plan == nil || len(plan.Refused) != 1 || plan.Refused[0].Source() != "routes[0]" {
			t.Fatalf("dry run %v: the plan beside the refusal is %+v, want the refusal of routes[0]", dryRun, plan)
		}
		if len(plan.Plan) != 0 {
			t.Errorf("dry run %v: a plan refused as a whole plans %d changes", dryRun, len(plan.Plan))
		}
	}
	if after, err := f.store.Version(f.ctx); err != nil || after != before {
		t.Fatalf("a refused import wrote: version %d, then %d (%v)", before, after, err)
	}
}

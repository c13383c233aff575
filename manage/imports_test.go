package manage

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
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

// TestImportTakesTheRolesItsChangesNeed: a manager may import routes but
// not the key pairs their inline TLS material becomes: a dry run says so
// (NeedsRole) and a write is refused with nothing written; an admin may.
// A write that names a digest applies only the plan it names.
func TestImportTakesTheRolesItsChangesNeed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "Team")
	f.grant(team.ID, "manager", store.RoleManager)
	ca, _ := testcert.SelfSigned(t, []string{"ca.example.com"}, time.Time{})
	file := []byte("routes:\n  - from: https://a.example.com\n    to: https://a.internal\n    tls_custom_ca: " + base64.StdEncoding.EncodeToString(ca) + "\n")
	manager := f.caller("manager")

	plan, err := f.app.Import(f.ctx, manager, ImportInput{Namespace: team.ID, Content: file, DryRun: true})
	if err != nil || len(plan.NeedsRole) != 1 || !strings.Contains(plan.NeedsRole[0], "key pair") {
		t.Fatalf("a manager's dry run: %+v, %v", plan, err)
	}
	before, err := f.store.Version(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.app.Import(f.ctx, manager, ImportInput{Namespace: team.ID, Content: file})
	wantRefusal(t, "a manager's import of a key pair", err, CodePermissionDenied, "")
	if after, err := f.store.Version(f.ctx); err != nil || after != before {
		t.Fatalf("a refused import wrote: version %d, then %d (%v)", before, after, err)
	}

	_, err = f.app.Import(f.ctx, f.admin(), ImportInput{Namespace: team.ID, Content: file, Digest: "another plan"})
	wantRefusal(t, "an import of another plan than the one reviewed", err, CodeConflict, "digest")
	done, err := f.app.Import(f.ctx, f.admin(), ImportInput{Namespace: team.ID, Content: file, Digest: plan.Digest})
	if err != nil || done.Created != 2 { // the key pair and the route
		t.Fatalf("the admin's import of the reviewed plan: %+v, %v", done, err)
	}
}

package manage

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/importer"
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

// TestImportStreams: an import from a Source that hands its changes over
// keeps no plan, hands each change over once (as planned, before the
// write), reports reading, planning and writing to their ends, and writes
// every object.
func TestImportStreams(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Streamed")
	var b strings.Builder
	b.WriteString("routes:\n")
	for i := range 1200 {
		fmt.Fprintf(&b, "- {from: 'https://app%d.example.com', to: 'http://app%d.internal', allowed_domains: [example.com]}\n", i, i)
	}
	var changes int
	var stages []string
	last := map[string]ImportProgress{}
	plan, err := f.app.Import(f.ctx, f.admin(), ImportInput{
		Namespace: ns.ID,
		Source:    importer.Bytes([]byte(b.String())),
		Changes: func(ch importer.Change) error {
			changes++
			if ch.Action != importer.ActionCreate || ch.Object.GetObjectMeta().Version != 0 {
				t.Errorf("change %+v: want a create, as planned", ch)
			}
			return nil
		},
		Progress: func(p ImportProgress) {
			if _, seen := last[p.Stage]; !seen {
				stages = append(stages, p.Stage)
			}
			last[p.Stage] = p
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Created != 2400 || changes != 2400 || len(plan.Plan) != 0 || len(plan.Routes) != 0 {
		t.Errorf("created %d, %d changes handed over, %d kept in the plan, %d route names kept: want 2400, 2400, 0, 0",
			plan.Created, changes, len(plan.Plan), len(plan.Routes))
	}
	if want := []string{ImportReading, ImportPlanning, ImportWriting}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	for stage, p := range last {
		if p.Done != p.Total {
			t.Errorf("%s ended at %d of %d", stage, p.Done, p.Total)
		}
	}
	routes, err := f.store.List(f.ctx, store.KindRoute, store.ListQuery{NamespaceID: ns.ID, Limit: 1})
	if err != nil || routes.TotalCount != 1200 {
		t.Fatalf("routes written: %v, %v", routes, err)
	}
}

// TestImportCommitsOnlyThePlanItReviewed: when the namespace changes
// between the import's dry run and its write, the write plans something
// else and commits nothing.
func TestImportCommitsOnlyThePlanItReviewed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Raced")
	file := []byte("routes:\n- {from: 'https://a.example.com', to: 'http://a'}\n- {from: 'https://b.example.com', to: 'http://b'}\n")
	f.once(func() { f.route(ns.ID, "b.example.com", nil) })
	_, err := f.app.Import(f.ctx, f.admin(), ImportInput{Namespace: ns.ID, Source: importer.Bytes(file), Changes: func(importer.Change) error { return nil }})
	wantRefusal(t, "an import whose namespace changed before its write", err, CodeConflict, "digest")
	routes, err := f.store.List(f.ctx, store.KindRoute, store.ListQuery{NamespaceID: ns.ID})
	if err != nil || len(routes.Objects) != 1 || routes.Objects[0].GetObjectMeta().Origin != store.OriginAPI {
		t.Fatalf("routes after the refused import: %v, %v; want only the one written meanwhile", routes, err)
	}
}

package manage

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestReadsHideRouteSecrets: every read of a route clears its secrets for a
// caller who may not see them, names those that held a value where a page
// of objects is read, and leaves them to one who may.
func TestReadsHideRouteSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "Team")
	f.grant(team.ID, "viewer", store.RoleViewer)
	f.grant(team.ID, "manager", store.RoleManager)
	r := f.route(team.ID, "app", &configpb.Route{IdpClientSecret: new("idp-secret"), KubernetesServiceAccountToken: "kube-token"})

	viewer, manager := f.caller("viewer"), f.caller("manager")
	got, err := f.app.GetRoute(f.ctx, viewer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SecretsHidden || got.Spec.IdpClientSecret != nil || got.Spec.KubernetesServiceAccountToken != "" {
		t.Fatalf("a viewer reads %v (hidden %v)", got.Spec, got.SecretsHidden)
	}
	page, err := Objects[*store.Route](f.ctx, f.app, viewer, ObjectQuery{IDs: []string{r.ID}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("objects: %v, %v", page, err)
	}
	if page.Items[0].Spec.IdpClientSecret != nil || len(page.HiddenSecrets[r.ID]) != 2 {
		t.Fatalf("a viewer's page: %v, hidden %v", page.Items[0].Spec, page.HiddenSecrets)
	}
	stored, err := store.Get[*store.Route](f.ctx, f.store, r.ID)
	if err != nil || stored.Spec.GetIdpClientSecret() != "idp-secret" {
		t.Fatalf("the redaction reached the stored route: %v, %v", stored, err)
	}
	got, err = f.app.GetRoute(f.ctx, manager, r.ID)
	if err != nil || got.SecretsHidden || got.Spec.GetIdpClientSecret() != "idp-secret" {
		t.Fatalf("a manager reads %v, %v", got, err)
	}
	page, err = Objects[*store.Route](f.ctx, f.app, manager, ObjectQuery{ListQuery: ListQuery{Namespace: team.ID}})
	if err != nil || page.Items[0].Spec.GetKubernetesServiceAccountToken() != "kube-token" || page.HiddenSecrets != nil {
		t.Fatalf("a manager's page: %v, %v", page, err)
	}
}

package deploytest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// checkRBAC asks the API server, as `kubectl auth can-i --as` does, what the
// console's service account may do: what its controllers and leader
// election need, and nothing beside.
func checkRBAC(t *testing.T, c client.Client, in install) {
	user := "system:serviceaccount:" + in.namespace + ":" + in.serviceAccount
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + in.namespace, "system:authenticated"}
	const group = "console.pomerium.io"
	for _, tc := range []struct {
		can  authorizationv1.ResourceAttributes
		want bool
	}{
		{authorizationv1.ResourceAttributes{Verb: "watch", Group: group, Resource: "routes"}, true},
		{authorizationv1.ResourceAttributes{Verb: "list", Group: group, Resource: "consolenamespaces"}, true},
		{authorizationv1.ResourceAttributes{Verb: "update", Group: group, Resource: "routes", Subresource: "status", Namespace: "team"}, true},
		{authorizationv1.ResourceAttributes{Verb: "update", Group: group, Resource: "consolenamespaces", Subresource: "finalizers"}, true},
		{authorizationv1.ResourceAttributes{Verb: "patch", Group: group, Resource: "policies", Namespace: "team"}, true},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "coordination.k8s.io", Resource: "leases", Namespace: in.namespace}, true},
		{authorizationv1.ResourceAttributes{Verb: "create", Resource: "events", Namespace: in.namespace}, true},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "coordination.k8s.io", Resource: "leases", Namespace: "default"}, false},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: group, Resource: "routes", Namespace: "team"}, false},
		{authorizationv1.ResourceAttributes{Verb: "delete", Group: group, Resource: "policies", Namespace: "team"}, false},
		{authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: in.namespace}, false},
		{authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"}, false},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}, false},
	} {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &tc.can,
		}}
		if err := c.Create(t.Context(), review); err != nil {
			t.Fatalf("SubjectAccessReview: %v", err)
		}
		if got := review.Status.Allowed; got != tc.want {
			a := tc.can
			t.Errorf("can %s %s %s.%s/%s in %q? %t, want %t (%s)", user, a.Verb, a.Resource, a.Group, a.Subresource, a.Namespace, got, tc.want, review.Status.Reason)
		}
	}
}

// TestChartRBACIsConfigRBAC holds the chart's roles to config/rbac, which
// the kustomize overlays install, so that the two install paths grant the
// same.
func TestChartRBACIsConfigRBAC(t *testing.T) {
	t.Parallel()
	objs, err := renderChart(t, "")
	if err != nil {
		t.Fatal(err)
	}
	for kind, file := range map[string]string{"ClusterRole": "role.yaml", "Role": "leader_election_role.yaml"} {
		var want rbacv1.ClusterRole // a Role's rules have the same shape
		b, err := os.ReadFile(filepath.Join(rbacDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(b, &want); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var got rbacv1.ClusterRole
		if err := fromUnstructured(only(t, objs, kind), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Rules, got.Rules); diff != "" {
			t.Errorf("the chart's %s against config/rbac/%s (-config +chart):\n%s", kind, file, diff)
		}
	}
}

// only is the one object of kind among objs.
func only(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s rendered, want 1", len(found), kind)
	}
	return found[0]
}

func fromUnstructured(u *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}

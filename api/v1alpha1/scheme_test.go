package v1alpha1_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
)

func TestSchemeKnowsEveryKind(t *testing.T) {
	t.Parallel()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Route", "RouteList", "Policy", "PolicyList", "ConsoleNamespace", "ConsoleNamespaceList"} {
		if !s.Recognizes(v1alpha1.GroupVersion.WithKind(kind)) {
			t.Errorf("the scheme does not know %s", kind)
		}
	}
	r := &v1alpha1.Route{Spec: v1alpha1.RouteSpec{To: []string{"https://a"}, Policies: []v1alpha1.PolicyRef{{Name: "p"}}}}
	c := r.DeepCopy()
	c.Spec.To[0], c.Spec.Policies[0].Name = "https://b", "q"
	if r.Spec.To[0] != "https://a" || r.Spec.Policies[0].Name != "p" {
		t.Error("DeepCopy shares memory with the original")
	}
}

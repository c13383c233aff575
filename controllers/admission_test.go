package controllers_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
)

// finalizerPolicyFile is the MutatingAdmissionPolicy the console ships for
// Kubernetes 1.36 and later.
const finalizerPolicyFile = "../config/admission/store-finalizer.yaml"

// shippedFinalizerPolicy reads config/admission: the policy and its
// binding.
func shippedFinalizerPolicy(t testingT) (*admissionregistrationv1.MutatingAdmissionPolicy, *admissionregistrationv1.MutatingAdmissionPolicyBinding) {
	t.Helper()
	raw, err := os.ReadFile(finalizerPolicyFile)
	if err != nil {
		t.Fatalf("read %s: %v", finalizerPolicyFile, err)
	}
	d := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	policy, binding := &admissionregistrationv1.MutatingAdmissionPolicy{}, &admissionregistrationv1.MutatingAdmissionPolicyBinding{}
	for _, into := range []any{policy, binding} {
		if err := d.Decode(into); err != nil {
			t.Fatalf("decode %s: %v", finalizerPolicyFile, err)
		}
	}
	if err := d.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		t.Fatalf("%s holds more than a policy and its binding (%v)", finalizerPolicyFile, err)
	}
	if policy.Kind != "MutatingAdmissionPolicy" || binding.Kind != "MutatingAdmissionPolicyBinding" || binding.Spec.PolicyName != policy.Name {
		t.Fatalf("%s: %s %s, %s %s binding %q", finalizerPolicyFile, policy.Kind, policy.Name, binding.Kind, binding.Name, binding.Spec.PolicyName)
	}
	return policy, binding
}

// createPolicy installs the shipped policy once for the whole package.
var createPolicy sync.Once

// withFinalizerPolicy creates a Kubernetes namespace whose new Routes and
// Policies the shipped policy mutates: the policy as shipped, bound as
// shipped but for that namespace alone, so that the tests beside it still
// see the controllers add the finalizer themselves. It returns once the API server
// applies the policy there.
func withFinalizerPolicy(t testingT, name string) string {
	t.Helper()
	ctx, c := t.Context(), newClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{policyLabel: name}}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	// A namespace selector never leaves out a cluster-scoped object, so the
	// binding names the namespaced kinds too: without that, it would reach
	// every ConsoleNamespace the other tests create, and such a create
	// fails with ServiceUnavailable until the API server has loaded the
	// kind's schema for the policy.
	bindShippedPolicy(t, c, name, &admissionregistrationv1.MatchResources{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{policyLabel: name}},
		ResourceRules:     createsOf("routes", "policies"),
	})
	// The API server takes policies in from a watch of its own; a dry run
	// shows when it applies this one.
	eventually(t, "the policy to apply in "+name, func() (bool, string) {
		probe := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "policy-probe", Namespace: name}, Spec: v1alpha1.RouteSpec{
			Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://probe.example.com", To: []string{"https://upstream.internal"}}}
		if err := c.Create(ctx, probe, client.DryRunAll); err != nil {
			return false, err.Error()
		}
		return controllerutil.ContainsFinalizer(probe, controllers.Finalizer), describe(probe.Finalizers)
	})
	// The binding is for the namespace alone: a cluster-scoped object is
	// not mutated.
	outside := &v1alpha1.ConsoleNamespace{ObjectMeta: metav1.ObjectMeta{Name: name + "-outside"}}
	if err := c.Create(ctx, outside, client.DryRunAll); err != nil {
		t.Fatalf("dry run of a ConsoleNamespace: %v", err)
	}
	if len(outside.Finalizers) != 0 {
		t.Fatalf("a ConsoleNamespace outside %s was created with finalizers %v, want none", name, outside.Finalizers)
	}
	return name
}

// policyLabel marks what a test binds the shipped policy for: a Kubernetes
// namespace, or the ConsoleNamespaces themselves.
const policyLabel = "console.pomerium.io/test-finalizer-policy"

// bindShippedPolicy installs the shipped policy (once for the package) and
// its binding as shipped, named after name, but for what match selects
// alone.
func bindShippedPolicy(t testingT, c client.Client, name string, match *admissionregistrationv1.MatchResources) {
	t.Helper()
	ctx := t.Context()
	policy, binding := shippedFinalizerPolicy(t)
	var err error
	createPolicy.Do(func() { err = c.Create(ctx, policy) })
	if err != nil {
		t.Fatalf("create the policy: %v", err)
	}
	binding.Name = binding.Name + "-" + name
	binding.Spec.MatchResources = match
	if err := c.Create(ctx, binding); err != nil {
		t.Fatalf("create the binding: %v", err)
	}
}

// createsOf is a rule matching the creation of the console's resources.
func createsOf(resources ...string) []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{v1alpha1.GroupVersion.Group}, APIVersions: []string{"*"}, Resources: resources},
	}}}
}

// TestFinalizerPolicyReachesConsoleNamespaces: the shipped policy gives the
// cluster-scoped ConsoleNamespace the console's finalizer too, as the API
// server creates it.
func TestFinalizerPolicyReachesConsoleNamespaces(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	// Bound for ConsoleNamespaces of one label alone: those the other
	// tests create stay out of its reach.
	bindShippedPolicy(t, c, "consolenamespaces", &admissionregistrationv1.MatchResources{
		ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{policyLabel: "consolenamespaces"}},
		ResourceRules:  createsOf("consolenamespaces"),
	})
	eventually(t, "a ConsoleNamespace created with the console's finalizer", func() (bool, string) {
		probe := &v1alpha1.ConsoleNamespace{ObjectMeta: metav1.ObjectMeta{Name: "policy-probe", Labels: map[string]string{policyLabel: "consolenamespaces"}}}
		if err := c.Create(ctx, probe, client.DryRunAll); err != nil {
			return false, err.Error()
		}
		return controllerutil.ContainsFinalizer(probe, controllers.Finalizer), describe(probe.Finalizers)
	})
}

// TestFinalizerPolicyKeepsOtherFinalizers: the policy adds the console's
// finalizer beside those an object is created with, and a deleted object
// still goes once the controllers have removed its store copy.
func TestFinalizerPolicyKeepsOtherFinalizers(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := withFinalizerPolicy(t, "policy-keeps")
	r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns, Finalizers: []string{"example.com/other"}}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://policy-keeps.example.com", To: []string{"https://upstream.internal"}}}
	if err := c.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/other", controllers.Finalizer}; !equalSets(r.Finalizers, want) {
		t.Fatalf("created with finalizers %v, want %v", r.Finalizers, want)
	}
	if err := c.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
	// The controllers let go of the object; the other finalizer holds it.
	eventually(t, "the console's finalizer to go", func() (bool, string) {
		got := &v1alpha1.Route{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(r), got); err != nil {
			return false, err.Error()
		}
		return equalSets(got.Finalizers, []string{"example.com/other"}), describe(got.Finalizers)
	})
	got := &v1alpha1.Route{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(r), got); err != nil {
		t.Fatal(err)
	}
	got.Finalizers = nil
	if err := c.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route to be deleted", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(r), &v1alpha1.Route{})
		return apierrors.IsNotFound(err), describe(err)
	})
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

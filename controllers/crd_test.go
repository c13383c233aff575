package controllers_test

import (
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/hack/kubetest"
)

var kube *kubetest.Env

func TestMain(m *testing.M) {
	// The clients of the tests log through controller-runtime's logger,
	// which otherwise complains that it has none.
	ctrllog.SetLogger(logr.Discard())
	os.Exit(kubetest.MainWithOptions(m, &kube, kubetest.Options{CRDDirectoryPaths: []string{"../config/crd/bases"}, Prepare: prepare}))
}

func newClient(t testingT) client.Client {
	t.Helper()
	s, err := controllers.NewScheme()
	if err != nil {
		t.Fatalf("scheme: %v", err)
	}
	c, err := client.New(kube.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// TestSamplesApplyCleanly applies config/samples with a real kubectl and
// reads them back with the printer columns of the CRDs.
func TestSamplesApplyCleanly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	out, err := kube.Kubectl(ctx, "apply", "-f", "../config/samples").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply -f config/samples: %v\n%s", err, out)
	}
	for _, want := range []string{"consolenamespace.console.pomerium.io/production created", "policy.console.pomerium.io/example-users created", "route.console.pomerium.io/verify created"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl apply said %q, want %q", out, want)
		}
	}
	out, err = kube.Kubectl(ctx, "get", "routes.console.pomerium.io").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get routes: %v\n%s", err, out)
	}
	header := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	if strings.Join(header, " ") != "NAME FROM TO READY REASON AGE" {
		t.Errorf("printer columns %v", header)
	}
	if !strings.Contains(string(out), "https://verify.localhost.pomerium.io") {
		t.Errorf("kubectl get routes:\n%s", out)
	}
	// The console takes them in: every sample becomes Ready.
	eventually(t, "every sample Ready", func() (bool, string) {
		out, err := kube.Kubectl(ctx, "get", "consolenamespaces,policies,routes", "-A", "-o",
			`jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}`).CombinedOutput()
		got := string(out)
		return err == nil && strings.Contains(got, "production=True") && strings.Contains(got, "example-users=True") &&
			strings.Contains(got, "verify=True"), got
	})
}

// TestInvalidObjectsRefusedAtAdmission checks that the OpenAPI schema of
// the CRDs refuses bad objects with a message naming the field, before any
// controller sees them.
func TestInvalidObjectsRefusedAtAdmission(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	global := v1alpha1.NamespaceRef{Path: "Global"}
	route := func(name string, mutate func(*v1alpha1.RouteSpec)) client.Object {
		r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1alpha1.RouteSpec{Namespace: global, From: "https://app.example.com", To: []string{"https://app.internal"}}}
		mutate(&r.Spec)
		return r
	}
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string
	}{
		{"route without a namespace", route("no-ns", func(s *v1alpha1.RouteSpec) { s.Namespace = v1alpha1.NamespaceRef{} }), "set exactly one of path and id"},
		{"namespace by path and id", route("both", func(s *v1alpha1.RouteSpec) { s.Namespace.ID = "9d8dbd2c-8cce-4e66-9c1f-c490b4a07243" }), "set exactly one of path and id"},
		{"from without a scheme", route("no-scheme", func(s *v1alpha1.RouteSpec) { s.From = "app.example.com" }), "spec.from"},
		{"to and redirect", route("two-actions", func(s *v1alpha1.RouteSpec) {
			s.Redirect = &v1alpha1.RouteRedirect{HostRedirect: "elsewhere.example.com"}
		}), "set exactly one of to, redirect and response"},
		{"no action", route("no-action", func(s *v1alpha1.RouteSpec) { s.To = nil }), "set exactly one of to, redirect and response"},
		{"bad upstream", route("bad-to", func(s *v1alpha1.RouteSpec) { s.To = []string{"not a url"} }), "spec.to[0]"},
		{"both rewrites", route("two-rewrites", func(s *v1alpha1.RouteSpec) { s.PrefixRewrite, s.RegexRewritePattern = "/a", "^/b" }), "set at most one of prefixRewrite and regexRewritePattern"},
		{"public and authenticated", route("public-auth", func(s *v1alpha1.RouteSpec) {
			s.AllowPublicUnauthenticatedAccess, s.AllowAnyAuthenticatedUser = true, true
		}), "a public route cannot also require authentication"},
		{"unknown load balancing", route("bad-lb", func(s *v1alpha1.RouteSpec) { s.LoadBalancingPolicy = "FASTEST" }), "spec.loadBalancingPolicy"},
		{"policy by name and id", route("bad-policy", func(s *v1alpha1.RouteSpec) {
			s.Policies = []v1alpha1.PolicyRef{{Name: "p", ID: "9d8dbd2c-8cce-4e66-9c1f-c490b4a07243"}}
		}), "set exactly one of name and id"},
		{"policy without PPL", &v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "no-ppl", Namespace: "default"},
			Spec: v1alpha1.PolicySpec{Namespace: global}}, "spec.ppl"},
		{"namespace name with a slash", &v1alpha1.ConsoleNamespace{ObjectMeta: metav1.ObjectMeta{Name: "slash"},
			Spec: v1alpha1.ConsoleNamespaceSpec{Name: "a/b"}}, "spec.name"},
	} {
		err := c.Create(t.Context(), tc.obj)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal naming %q", tc.name, err, tc.want)
		}
	}
}

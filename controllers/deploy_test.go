package controllers_test

import (
	"strings"
	"testing"
)

// TestDeployMaterialAppliesWithLeastPrivilege applies config/default with a
// real kubectl and checks what its service account may and may not do.
func TestDeployMaterialAppliesWithLeastPrivilege(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if out, err := kube.Kubectl(ctx, "apply", "-k", "../config/default").CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply -k config/default: %v\n%s", err, out)
	}
	const sa = "system:serviceaccount:pomerium-console:pomerium-console"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "routes.console.pomerium.io", "--all-namespaces"}, "yes"},
		{[]string{"update", "routes.console.pomerium.io/status", "-n", "team"}, "yes"},
		{[]string{"update", "consolenamespaces.console.pomerium.io/finalizers"}, "yes"},
		{[]string{"create", "leases.coordination.k8s.io", "-n", "pomerium-console"}, "yes"},
		{[]string{"create", "leases.coordination.k8s.io", "-n", "default"}, "no"},
		{[]string{"create", "routes.console.pomerium.io", "-n", "team"}, "no"},
		{[]string{"get", "secrets", "-n", "pomerium-console"}, "no"},
		{[]string{"list", "pods", "--all-namespaces"}, "no"},
	} {
		out, _ := kube.Kubectl(ctx, append(append([]string{"auth", "can-i"}, tc.args...), "--as", sa)...).Output() // "no" exits 1; warnings go to stderr
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("can the console %v? %q, want %q", tc.args, got, tc.want)
		}
	}
	out, err := kube.Kubectl(ctx, "get", "deployment", "pomerium-console", "-n", "pomerium-console", "-o",
		"jsonpath={.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].livenessProbe.httpGet.path} {.spec.template.spec.containers[0].resources.requests.memory}").CombinedOutput()
	if err != nil || string(out) != "/readyz /healthz 256Mi" {
		t.Errorf("deployment probes and requests: %q, %v", out, err)
	}
}

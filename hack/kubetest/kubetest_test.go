package kubetest_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/hack/kubetest"
)

var env *kubetest.Env

func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithOptions(m, &env, kubetest.Options{
		CRDDirectoryPaths: []string{"testdata/crds"},
	}))
}

func TestConfigMapThroughClientAndKubectl(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kubetest-configmap"},
		Data:       map[string]string{"greeting": "hello"},
	}
	if err := c.Create(ctx, want); err != nil {
		t.Fatal(err)
	}

	var got corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKeyFromObject(want), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Data, got.Data); diff != "" {
		t.Errorf("data read back (-want +got):\n%s", diff)
	}

	out, err := env.Kubectl(ctx, "get", "configmap", want.Name, "--namespace", want.Namespace, "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "configmap/"+want.Name; got != want {
		t.Errorf("kubectl get printed %q, want %q", got, want)
	}
}

// TestCRDFromOptions applies an object of the CRD that TestMain installed
// from testdata/crds, as a walkthrough would, and reads it with a client.
func TestCRDFromOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	apply := env.Kubectl(ctx, "apply", "-f", "-")
	apply.Stdin = strings.NewReader(`
apiVersion: kubetest.pomerium-console.test/v1
kind: Widget
metadata:
  name: kubetest-widget
  namespace: default
spec:
  size: 3
`)
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}

	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	widget := &unstructured.Unstructured{}
	widget.SetGroupVersionKind(schema.GroupVersionKind{Group: "kubetest.pomerium-console.test", Version: "v1", Kind: "Widget"})
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "kubetest-widget"}, widget); err != nil {
		t.Fatal(err)
	}
	size, _, err := unstructured.NestedInt64(widget.Object, "spec", "size")
	if err != nil || size != 3 {
		t.Errorf("spec.size = %d (%v), want 3", size, err)
	}
}

// TestMissingAssetsFail is not parallel because it sets an environment
// variable for the whole process.
func TestMissingAssetsFail(t *testing.T) {
	t.Setenv(kubetest.AssetsEnv, t.TempDir())
	e, err := kubetest.Start(t.Context())
	if err == nil {
		e.Stop() //nolint:errcheck // the test has failed already
		t.Fatal("Start succeeded without binaries")
	}
	if !errors.Is(err, kubetest.ErrNoAssets) {
		t.Errorf("Start: %v, want an error wrapping ErrNoAssets", err)
	}
	if !strings.Contains(err.Error(), "make envtest") {
		t.Errorf("Start: %q does not say to run make envtest", err)
	}
}

package deploytest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
)

// install is what an install path put into the cluster, and what the checks
// expect of it.
type install struct {
	mode           string // "postgres" or "embedded"
	namespace      string
	name           string // of the Deployment, Service and PodDisruptionBudget
	serviceAccount string
	secret         string // the Secret the console reads
	// objects are every object the path rendered, CRDs included.
	objects []*unstructured.Unstructured
}

// TestKustomizePostgres installs config/overlays/postgres as the README
// says.
func TestKustomizePostgres(t *testing.T) {
	t.Parallel()
	in := kustomizeInstall(t, filepath.Join(overlaysDir, "postgres"))
	in.mode, in.namespace, in.name, in.serviceAccount, in.secret = "postgres", "pomerium-console", "pomerium-console", "pomerium-console", "pomerium-console"
	checkInstall(t, in)
}

// TestKustomizeEmbedded installs config/overlays/embedded inside a
// kustomization of the user's own that moves it to another namespace and
// renames it, as one does to run a second copy (and must here: both overlays
// name the same objects). That the RBAC still binds the renamed service
// account is part of what it checks.
func TestKustomizeEmbedded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	overlay, err := filepath.Abs(filepath.Join(overlaysDir, "embedded"))
	if err != nil {
		t.Fatal(err)
	}
	// kustomize refuses absolute paths to a base.
	rel, err := filepath.Rel(dir, overlay)
	if err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("namespace: console-trial\nnameSuffix: -trial\nresources:\n  - %s\n", rel)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(wrapper), 0o600); err != nil {
		t.Fatal(err)
	}
	in := kustomizeInstall(t, dir)
	in.mode, in.namespace, in.name, in.serviceAccount, in.secret = "embedded", "console-trial", "pomerium-console-trial", "pomerium-console-trial", "pomerium-console"
	checkInstall(t, in)
}

// TestHelmPostgres installs the chart in postgres mode with the
// ServiceMonitor on and the image named by digest.
func TestHelmPostgres(t *testing.T) {
	t.Parallel()
	in := helmInstall(t, "helm-postgres", "console", `
serviceMonitor:
  enabled: true
  labels: {release: prometheus}
image:
  repository: registry.example.com/pomerium-console
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`)
	in.mode, in.name, in.serviceAccount, in.secret = "postgres", "console-pomerium-console", "console-pomerium-console", "console-pomerium-console"
	checkInstall(t, in)
	checkServiceMonitor(t, in)
	checkImage(t, in, "registry.example.com/pomerium-console@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
}

// TestHelmEmbedded installs the chart in embedded mode, where replicaCount
// does not count, under a release whose name holds the chart's.
func TestHelmEmbedded(t *testing.T) {
	t.Parallel()
	in := helmInstall(t, "helm-embedded", "pomerium-console-embedded", `
mode: embedded
replicaCount: 3
existingSecret: console-secrets
`)
	in.mode, in.name, in.serviceAccount, in.secret = "embedded", "pomerium-console-embedded", "pomerium-console-embedded", "console-secrets"
	checkInstall(t, in)
	checkImage(t, in, "pomerium-console:"+loadChart(t).Metadata.AppVersion)
}

// kustomizeInstall builds dir with kubectl's kustomize, to know what it
// should create, and installs it with `kubectl apply -k`.
func kustomizeInstall(t *testing.T, dir string) install {
	t.Helper()
	ctx := t.Context()
	out, err := kube.Kubectl(ctx, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	objs, err := decodeObjects(out)
	if err != nil {
		t.Fatalf("decode kubectl kustomize %s: %v", dir, err)
	}
	installing.Lock()
	out, err = kube.Kubectl(ctx, "apply", "-k", dir).CombinedOutput()
	installing.Unlock()
	if err != nil {
		t.Fatalf("kubectl apply -k %s: %v\n%s", dir, err, out)
	}
	return install{objects: objs}
}

// helmInstall installs the chart with Helm's install action (what `helm
// install` runs) as release into namespace, which it first creates to
// enforce the "restricted" Pod Security Standard.
func helmInstall(t *testing.T, namespace, release, values string) install {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	}}}
	if err := newClient(t).Create(ctx, ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, cacheDir := kube.KubeconfigPath(), t.TempDir()
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &namespace, &cacheDir
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, namespace, "secret", t.Logf); err != nil {
		t.Fatalf("helm: %v", err)
	}
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace = release, namespace
	ch := loadChart(t)
	installing.Lock()
	rel, err := inst.RunWithContext(ctx, ch, parseValues(t, values))
	installing.Unlock()
	if err != nil {
		t.Fatalf("helm install: %v", err)
	}
	objs, err := decodeObjects([]byte(rel.Manifest))
	if err != nil {
		t.Fatalf("decode the release's manifest: %v", err)
	}
	crds, err := chartCRDs(ch)
	if err != nil {
		t.Fatal(err)
	}
	return install{namespace: namespace, objects: append(objs, crds...)}
}

// renderChart renders the chart as `helm template` does, as release
// "console" in namespace "console-ns", without the CRDs, for the
// Kubernetes version of the tests' API server and, beside Helm's default
// API versions, the ones given (as `helm template --api-versions`).
func renderChart(t *testing.T, values string, apiVersions ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	version, err := serverVersion()
	if err != nil {
		t.Fatalf("the API server's version: %v", err)
	}
	inst := action.NewInstall(&action.Configuration{Log: t.Logf})
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = "console", "console-ns"
	inst.KubeVersion = version
	inst.APIVersions = append(chartutil.VersionSet(nil), apiVersions...)
	rel, err := inst.RunWithContext(t.Context(), loadChart(t), parseValues(t, values))
	if err != nil {
		return nil, err
	}
	return decodeObjects([]byte(rel.Manifest))
}

// serverVersion is the version of the tests' API server, which renderChart
// renders for. Told nothing, Helm's Go library (built without the flags of
// Helm's release builds) assumes v1.20, which the chart's kubeVersion
// refuses.
var serverVersion = sync.OnceValues(func() (*chartutil.KubeVersion, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(kube.Config)
	if err != nil {
		return nil, err
	}
	info, err := dc.ServerVersion()
	if err != nil {
		return nil, err
	}
	return chartutil.ParseKubeVersion(info.GitVersion)
})

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

func parseValues(t *testing.T, values string) chartutil.Values {
	t.Helper()
	v, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	return v
}

// chartCRDs are the objects of the chart's crds/ directory.
func chartCRDs(ch *chart.Chart) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, crd := range ch.CRDObjects() {
		o, err := decodeObjects(crd.File.Data)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", crd.Filename, err)
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

package deploytest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestChartCRDsAreTheGeneratedOnes holds the chart's crds/ to the CRDs
// controller-gen writes to config/crd/bases: `make generate` copies them.
func TestChartCRDsAreTheGeneratedOnes(t *testing.T) {
	t.Parallel()
	want := readDir(t, crdBasesDir)
	got := readDir(t, filepath.Join(chartDir, "crds"))
	if len(want) == 0 {
		t.Fatalf("no CRDs in %s", crdBasesDir)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the chart's crds/ differ from config/crd/bases; run `make generate` (-bases +chart):\n%s", diff)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// rendered is what the mode values decide in the chart's output.
type rendered struct {
	Kinds    []string
	Replicas int32
	Claim    string
	Spread   int
}

func TestChartModes(t *testing.T) {
	t.Parallel()
	base := []string{"ClusterRole", "ClusterRoleBinding", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"}
	with := func(kinds ...string) []string { return slices.Sorted(slices.Values(append(kinds, base...))) }
	for _, tc := range []struct {
		name, values string
		want         rendered
	}{
		{"defaults", "", rendered{Kinds: with("PodDisruptionBudget"), Replicas: 2, Spread: 2}},
		{"one replica needs no budget", "replicaCount: 1", rendered{Kinds: with(), Replicas: 1, Spread: 2}},
		{"budget off", "podDisruptionBudget: {enabled: false}", rendered{Kinds: with(), Replicas: 2, Spread: 2}},
		{"spread of one's own", "topologySpreadConstraints: []", rendered{Kinds: with("PodDisruptionBudget"), Replicas: 2}},
		{"embedded", "mode: embedded\nreplicaCount: 3", rendered{Kinds: with("PersistentVolumeClaim"), Replicas: 1, Claim: "console-pomerium-console-data"}},
		{"embedded on a claim of one's own", "mode: embedded\npersistence: {existingClaim: mine}", rendered{Kinds: with(), Replicas: 1, Claim: "mine"}},
		{"no RBAC", "rbac: {create: false}\nserviceAccount: {create: false, name: console}", rendered{Kinds: []string{"Deployment", "PodDisruptionBudget", "Service"}, Replicas: 2, Spread: 2}},
		{"with a ServiceMonitor", "serviceMonitor: {enabled: true}", rendered{Kinds: with("PodDisruptionBudget", "ServiceMonitor"), Replicas: 2, Spread: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := renderChart(t, tc.values)
			if err != nil {
				t.Fatal(err)
			}
			d := renderedDeployment(t, objs)
			got := rendered{Replicas: *d.Spec.Replicas, Spread: len(d.Spec.Template.Spec.TopologySpreadConstraints)}
			for _, o := range objs {
				got.Kinds = append(got.Kinds, o.GetKind())
			}
			slices.Sort(got.Kinds)
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.PersistentVolumeClaim != nil {
					got.Claim = v.PersistentVolumeClaim.ClaimName
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rendered (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChartConfigAndImage: configuration keys become environment
// variables (a list comma-separated), and the image reference follows
// repository, tag and digest.
func TestChartConfigAndImage(t *testing.T) {
	t.Parallel()
	objs, err := renderChart(t, `
config:
  administrators: [alice@example.com, admins]
  log_level: debug
extraEnv:
  - {name: SIGNING_KEY, valueFrom: {secretKeyRef: {name: pomerium, key: signing_key}}}
image: {repository: registry.example.com/console, tag: v1.2.3}
`)
	if err != nil {
		t.Fatal(err)
	}
	ctr := renderedDeployment(t, objs).Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = describeEnv(e)
	}
	for name, want := range map[string]string{"ADMINISTRATORS": "alice@example.com,admins", "LOG_LEVEL": "debug", "SIGNING_KEY": "secret pomerium/signing_key"} {
		if env[name] != want {
			t.Errorf("env %s = %q, want %q", name, env[name], want)
		}
	}
	if ctr.Image != "registry.example.com/console:v1.2.3" {
		t.Errorf("image %q", ctr.Image)
	}
}

// TestChartRefusesValues: values.schema.json and the templates refuse what
// would install a broken or leaky console, saying what is wrong.
func TestChartRefusesValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ values, says string }{
		{"mode: sqlite", "mode"},
		{"replicas: 2", "replicas"}, // a misspelt key
		{"replicaCount: 0", "replicaCount"},
		{"image: {digest: latest}", "digest"},
		// A secret in config would sit in the Deployment in clear.
		{"config: {database_url: 'postgres://console:secret@db/console'}", "database_url"},
		{"config: {shared_secret_file: /run/secret}", "shared_secret_file"},
		{"config: {metrics_addr: ':9000'}", "metrics_addr"}, // the probes look at :8709
		{"serviceAccount: {create: false}", "serviceAccount.name"},
	} {
		_, err := renderChart(t, tc.values)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("values %q: %v, want an error naming %s", tc.values, err, tc.says)
		}
	}
}

func renderedDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := fromUnstructured(only(t, objs, "Deployment"), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// checkServiceMonitor reads back the ServiceMonitor, decodes it strictly
// into the Prometheus Operator's own types, and checks that it scrapes the
// console's Service on its metrics port.
func checkServiceMonitor(t *testing.T, in install) {
	t.Helper()
	ctx := t.Context()
	c := newClient(t)
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("monitoring.coreos.com/v1")
	u.SetKind("ServiceMonitor")
	if err := c.Get(ctx, client.ObjectKey{Namespace: in.namespace, Name: in.name}, u); err != nil {
		t.Fatalf("ServiceMonitor: %v", err)
	}
	raw, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var sm monitoringv1.ServiceMonitor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sm); err != nil {
		t.Fatalf("ServiceMonitor as the operator reads it: %v", err)
	}
	var svc corev1.Service
	if err := c.Get(ctx, client.ObjectKey{Namespace: in.namespace, Name: in.name}, &svc); err != nil {
		t.Fatal(err)
	}
	if sel := labels.SelectorFromSet(sm.Spec.Selector.MatchLabels); len(sm.Spec.Selector.MatchLabels) == 0 || !sel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor selector %v does not select the Service's labels %v", sm.Spec.Selector.MatchLabels, svc.Labels)
	}
	if sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v, want serviceMonitor.labels among them", sm.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %+v, want one", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "metrics" || ep.Path != "/metrics" || ep.Interval != "30s" {
		t.Errorf("ServiceMonitor endpoint port %q path %q interval %q, want metrics /metrics 30s", ep.Port, ep.Path, ep.Interval)
	}
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "metrics" }) {
		t.Errorf("the Service has no port named metrics: %+v", svc.Spec.Ports)
	}
}

// checkImage checks the image the installed Deployment runs.
func checkImage(t *testing.T, in install, want string) {
	t.Helper()
	var d appsv1.Deployment
	if err := newClient(t).Get(t.Context(), client.ObjectKey{Namespace: in.namespace, Name: in.name}, &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != want {
		t.Errorf("image %q, want %q", got, want)
	}
}

// TestChartAdmissionPolicyIsConfigAdmission holds the chart's finalizer
// policy to config/admission's, and renders it only where the cluster
// serves MutatingAdmissionPolicy v1 and the values ask for it.
func TestChartAdmissionPolicyIsConfigAdmission(t *testing.T) {
	t.Parallel()
	const served = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"
	raw, err := os.ReadFile(admission)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeObjects(raw)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := renderChart(t, "", served)
	if err != nil {
		t.Fatal(err)
	}
	policy := only(t, objs, "MutatingAdmissionPolicy")
	binding := only(t, objs, "MutatingAdmissionPolicyBinding")
	if diff := cmp.Diff(want[0].Object["spec"], policy.Object["spec"]); diff != "" {
		t.Errorf("the chart's policy against %s (-config +chart):\n%s", admission, diff)
	}
	if got := binding.Object["spec"]; !equality.Semantic.DeepEqual(got, map[string]any{"policyName": policy.GetName()}) {
		t.Errorf("the chart's binding: %v, want it to bind %s as %s does", got, policy.GetName(), admission)
	}
	for _, tc := range []struct {
		values      string
		apiVersions []string
	}{{"", nil}, {"admissionPolicy: {create: false}", []string{served}}} {
		objs, err := renderChart(t, tc.values, tc.apiVersions...)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if strings.HasPrefix(o.GetKind(), "MutatingAdmissionPolicy") {
				t.Errorf("values %q, API versions %v: rendered %s %s", tc.values, tc.apiVersions, o.GetKind(), o.GetName())
			}
		}
	}
}

package deploytest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// checkInstall checks, in parallel subtests, what an install created.
func checkInstall(t *testing.T, in install) {
	t.Helper()
	c := newClient(t)
	var d appsv1.Deployment
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: in.namespace, Name: in.name}, &d); err != nil {
		t.Fatalf("the console's Deployment: %v", err)
	}
	t.Run("created", func(t *testing.T) { t.Parallel(); checkCreated(t, c, in) })
	t.Run("workload", func(t *testing.T) { t.Parallel(); checkWorkload(t, in, &d) })
	t.Run("service", func(t *testing.T) { t.Parallel(); checkService(t, c, in, &d) })
	t.Run("disruption", func(t *testing.T) { t.Parallel(); checkDisruptionBudget(t, c, in, &d) })
	t.Run("restricted", func(t *testing.T) { t.Parallel(); checkRestricted(t, c, in, &d) })
	t.Run("rbac", func(t *testing.T) { t.Parallel(); checkRBAC(t, c, in) })
}

// checkCreated reads back every object the path rendered.
func checkCreated(t *testing.T, c client.Client, in install) {
	kinds := map[string]int{}
	for _, want := range in.objects {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(want.GroupVersionKind())
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(want), got); err != nil {
			t.Errorf("%s %s/%s: %v", want.GetKind(), want.GetNamespace(), want.GetName(), err)
		}
		kinds[want.GetKind()]++
	}
	// What every install must have made, so that an empty render cannot pass.
	for _, kind := range []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s among the objects installed: %v", kind, kinds)
		}
	}
	if kinds["CustomResourceDefinition"] != 3 {
		t.Errorf("%d CRDs installed, want the console's 3", kinds["CustomResourceDefinition"])
	}
}

// workload is what matters of the console's pod template, in a form that
// compares across install paths.
type workload struct {
	Replicas int32
	Strategy string
	Spread   []string
	Env      map[string]string
	Probes   map[string]string
	Mounts   map[string]string
	Security map[string]string
	Memory   string
}

func checkWorkload(t *testing.T, in install, d *appsv1.Deployment) {
	want := workload{
		Probes: map[string]string{
			"startup":   "GET /healthz port 8709",
			"readiness": "GET /readyz port 8709",
			"liveness":  "GET /healthz port 8709",
		},
		Security: map[string]string{
			"runAsNonRoot": "true", "runAsUser": "65532", "readOnlyRootFilesystem": "true",
			"allowPrivilegeEscalation": "false", "capabilities.drop": "ALL", "seccompProfile": "RuntimeDefault",
		},
		Memory: "768Mi",
		Env: map[string]string{
			"METRICS_ADDR":  ":8709", // where the probes look
			"POD_NAMESPACE": "field metadata.namespace",
			// No GOMEMLIMIT: serve takes nine tenths of the container's
			// limit from its cgroup, where GOMEMLIMIT from the limit would
			// leave no room for what the Go runtime does not count.
		},
	}
	secret := func(key, optional string) string { return "secret " + in.secret + "/" + key + optional }
	switch in.mode {
	case "postgres":
		want.Replicas, want.Strategy = 2, "RollingUpdate maxSurge=1 maxUnavailable=0"
		want.Spread = []string{
			"kubernetes.io/hostname DoNotSchedule taints=Honor by=[pod-template-hash] selects the pods",
			"topology.kubernetes.io/zone ScheduleAnyway taints=Honor by=[pod-template-hash] selects the pods",
		}
		for _, key := range []string{"database_url", "database_encryption_key", "databroker_service_url", "shared_secret"} {
			want.Env[strings.ToUpper(key)] = secret(key, "")
		}
	case "embedded":
		want.Replicas, want.Strategy = 1, "Recreate"
		want.Env["DATA_DIR"] = "/var/lib/pomerium-console"
		for _, key := range []string{"database_encryption_key", "databroker_service_url", "shared_secret"} {
			want.Env[strings.ToUpper(key)] = secret(key, " (optional)")
		}
		want.Mounts = map[string]string{"/var/lib/pomerium-console": "claim " + onlyName(t, in, "PersistentVolumeClaim"), "/tmp": "emptyDir"}
	default:
		t.Fatalf("mode %q", in.mode)
	}
	if diff := cmp.Diff(want, describeWorkload(d)); diff != "" {
		t.Errorf("the console's Deployment (-want +got):\n%s", diff)
	}
}

func describeWorkload(d *appsv1.Deployment) workload {
	spec := d.Spec.Template.Spec
	ctr := spec.Containers[0]
	w := workload{Strategy: string(d.Spec.Strategy.Type), Env: map[string]string{}, Probes: map[string]string{}}
	if d.Spec.Replicas != nil {
		w.Replicas = *d.Spec.Replicas
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		w.Strategy += fmt.Sprintf(" maxSurge=%s maxUnavailable=%s", ru.MaxSurge, ru.MaxUnavailable)
	}
	pods := labels.Set(d.Spec.Template.Labels)
	for _, tsc := range spec.TopologySpreadConstraints {
		s := fmt.Sprintf("%s %s taints=%s by=%v", tsc.TopologyKey, tsc.WhenUnsatisfiable, deref(tsc.NodeTaintsPolicy), tsc.MatchLabelKeys)
		if sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector); err == nil && !sel.Empty() && sel.Matches(pods) {
			s += " selects the pods"
		}
		w.Spread = append(w.Spread, s)
	}
	for _, e := range ctr.Env {
		w.Env[e.Name] = describeEnv(e)
	}
	ports := map[string]int32{}
	for _, p := range ctr.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for kind, p := range map[string]*corev1.Probe{"startup": ctr.StartupProbe, "readiness": ctr.ReadinessProbe, "liveness": ctr.LivenessProbe} {
		if p != nil && p.HTTPGet != nil {
			port := p.HTTPGet.Port.IntVal
			if p.HTTPGet.Port.StrVal != "" {
				port = ports[p.HTTPGet.Port.StrVal]
			}
			w.Probes[kind] = fmt.Sprintf("GET %s port %d", p.HTTPGet.Path, port)
		}
	}
	volumes := map[string]string{}
	for _, v := range spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			volumes[v.Name] = "claim " + v.PersistentVolumeClaim.ClaimName
		case v.EmptyDir != nil:
			volumes[v.Name] = "emptyDir"
		default:
			volumes[v.Name] = "other"
		}
	}
	for _, m := range ctr.VolumeMounts {
		if w.Mounts == nil {
			w.Mounts = map[string]string{}
		}
		w.Mounts[m.MountPath] = volumes[m.Name]
	}
	w.Security = describeSecurity(spec.SecurityContext, ctr.SecurityContext)
	if m, ok := ctr.Resources.Limits[corev1.ResourceMemory]; ok {
		w.Memory = m.String()
	}
	return w
}

func describeEnv(e corev1.EnvVar) string {
	switch s := e.ValueFrom; {
	case s == nil:
		return e.Value
	case s.SecretKeyRef != nil:
		d := "secret " + s.SecretKeyRef.Name + "/" + s.SecretKeyRef.Key
		if deref(s.SecretKeyRef.Optional) {
			d += " (optional)"
		}
		return d
	case s.FieldRef != nil:
		return "field " + s.FieldRef.FieldPath
	case s.ResourceFieldRef != nil:
		return "resource " + s.ResourceFieldRef.Resource
	}
	return "other"
}

// describeSecurity is the container's effective security context: its own
// settings over the pod's.
func describeSecurity(pod *corev1.PodSecurityContext, ctr *corev1.SecurityContext) map[string]string {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if ctr == nil {
		ctr = &corev1.SecurityContext{}
	}
	s := map[string]string{
		"runAsNonRoot":             fmt.Sprint(deref(first(ctr.RunAsNonRoot, pod.RunAsNonRoot))),
		"runAsUser":                fmt.Sprint(deref(first(ctr.RunAsUser, pod.RunAsUser))),
		"readOnlyRootFilesystem":   fmt.Sprint(deref(ctr.ReadOnlyRootFilesystem)),
		"allowPrivilegeEscalation": fmt.Sprint(deref(ctr.AllowPrivilegeEscalation)),
		"capabilities.drop":        "",
		"seccompProfile":           "",
	}
	if ctr.Capabilities != nil {
		var drop []string
		for _, c := range ctr.Capabilities.Drop {
			drop = append(drop, string(c))
		}
		s["capabilities.drop"] = strings.Join(drop, ",")
		if len(ctr.Capabilities.Add) > 0 {
			s["capabilities.add"] = fmt.Sprint(ctr.Capabilities.Add)
		}
	}
	if sp := first(ctr.SeccompProfile, pod.SeccompProfile); sp != nil {
		s["seccompProfile"] = string(sp.Type)
	}
	return s
}

// checkService checks that the Service reaches the pods' web and gRPC
// ports (and metrics, where it has them) by name.
func checkService(t *testing.T, c client.Client, in install, d *appsv1.Deployment) {
	var svc corev1.Service
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: in.namespace, Name: in.name}, &svc); err != nil {
		t.Fatalf("the console's Service: %v", err)
	}
	if sel := labels.SelectorFromSet(svc.Spec.Selector); len(svc.Spec.Selector) == 0 || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
	}
	ctrPorts := map[string]int32{}
	for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
		ctrPorts[p.Name] = p.ContainerPort
	}
	got := map[string]string{}
	for _, p := range svc.Spec.Ports {
		got[p.Name] = fmt.Sprintf("%d -> %d", p.Port, ctrPorts[p.TargetPort.StrVal])
	}
	want := map[string]string{"web": "8701 -> 8701", "grpc": "8702 -> 8702"}
	if _, ok := got["metrics"]; ok {
		want["metrics"] = "8709 -> 8709"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Service ports (-want +got):\n%s", diff)
	}
}

// checkDisruptionBudget: postgres mode keeps one of its two replicas
// through a voluntary disruption; embedded mode, with one, has no budget
// (one of minAvailable 1 would block every node drain).
func checkDisruptionBudget(t *testing.T, c client.Client, in install, d *appsv1.Deployment) {
	if in.mode == "embedded" {
		for _, o := range in.objects {
			if o.GetKind() == "PodDisruptionBudget" {
				t.Errorf("embedded mode installs PodDisruptionBudget %s", o.GetName())
			}
		}
		return
	}
	var pdb policyv1.PodDisruptionBudget
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: in.namespace, Name: in.name}, &pdb); err != nil {
		t.Fatalf("PodDisruptionBudget: %v", err)
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.String() != "1" || pdb.Spec.MaxUnavailable != nil {
		t.Errorf("PodDisruptionBudget minAvailable %v maxUnavailable %v, want 1 and none", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
	}
	if p := pdb.Spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
		t.Errorf("PodDisruptionBudget unhealthyPodEvictionPolicy %v, want AlwaysAllow", p)
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods %v (%v)", pdb.Spec.Selector, d.Spec.Template.Labels, err)
	}
}

// checkRestricted creates a pod from the Deployment's template in the
// console's namespace, which enforces the Pod Security Standard
// "restricted": Pod Security admission must accept it. No kubelet runs it.
// The same pod without its dropped capabilities must be refused, which
// shows the namespace does enforce the standard.
func checkRestricted(t *testing.T, c client.Client, in install, d *appsv1.Deployment) {
	ctx := t.Context()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: in.namespace, Name: in.name + "-admission", Labels: map[string]string{"deploytest": "admission"}},
		Spec:       *d.Spec.Template.Spec.DeepCopy(),
	}
	if err := c.Create(ctx, pod); err != nil {
		t.Errorf("a pod of the console's template in namespace %s: %v", in.namespace, err)
	}
	weaker := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: in.namespace, Name: in.name + "-weaker"},
		Spec:       *d.Spec.Template.Spec.DeepCopy(),
	}
	weaker.Spec.Containers[0].SecurityContext.Capabilities = nil
	err := c.Create(ctx, weaker)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
		t.Errorf("a pod keeping its capabilities in namespace %s: %v, want refused as violating PodSecurity restricted", in.namespace, err)
	}
}

// onlyName is the name of the one object of kind among those installed.
func onlyName(t *testing.T, in install, kind string) string {
	t.Helper()
	return only(t, in.objects, kind).GetName()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// first is the first pointer of ps that is set.
func first[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

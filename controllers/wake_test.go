package controllers_test

import (
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/store"
)

// promptly bounds how long an object may take to follow a change it was
// waiting for: well below any recheck interval, so that only being woken
// meets it.
const promptly = 5 * time.Second

// condition returns an object's condition of the type, read from the API
// server.
func condition(t testingT, c client.Client, obj client.Object, typ string) (*metav1.Condition, string) {
	t.Helper()
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj); err != nil {
		return nil, err.Error()
	}
	st := statusOf(obj)
	return meta.FindStatusCondition(st.Conditions, typ), describe(st)
}

func statusOf(o client.Object) v1alpha1.Status {
	switch o := o.(type) {
	case *v1alpha1.Route:
		return o.Status
	case *v1alpha1.Policy:
		return o.Status
	case *v1alpha1.ConsoleNamespace:
		return o.Status
	}
	return v1alpha1.Status{}
}

// waitCondition waits until the object's condition has the status and,
// when given, the reason.
func waitCondition(t testingT, c client.Client, obj client.Object, typ string, want metav1.ConditionStatus, reason string, within ...time.Duration) {
	t.Helper()
	eventually(t, obj.GetName()+" "+typ+"="+string(want)+" "+reason, func() (bool, string) {
		cond, got := condition(t, c, obj, typ)
		return cond != nil && cond.Status == want && (reason == "" || cond.Reason == reason), got
	}, within...)
}

// TestReferencesWakeWhatWaitsForThem creates a Route and a Policy before
// the ConsoleNamespace they live in, and the Route before the Policy it
// uses: once the namespace and the policy exist, both are stored and the
// route is Ready at once, without waiting for a recheck.
func TestReferencesWakeWhatWaitsForThem(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "late-references")
	where := v1alpha1.NamespaceRef{Path: "Global/late references"}
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "early", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: where, From: "https://early.example.com", To: []string{"https://early.internal"},
		Policies: []v1alpha1.PolicyRef{{Name: "late"}}}}
	if err := c.Create(ctx, route); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, c, route, v1alpha1.ConditionSynced, metav1.ConditionFalse, "NamespaceNotFound")
	policy := &v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: ns},
		Spec: v1alpha1.PolicySpec{Namespace: where, PPL: "allow:\n  or:\n    - email: {is: late@example.com}\n"}}
	if err := c.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, c, policy, v1alpha1.ConditionSynced, metav1.ConditionFalse, "NamespaceNotFound")

	namespace := &v1alpha1.ConsoleNamespace{ObjectMeta: metav1.ObjectMeta{Name: "late-references"},
		Spec: v1alpha1.ConsoleNamespaceSpec{Name: "late references"}}
	if err := c.Create(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, c, policy, v1alpha1.ConditionSynced, metav1.ConditionTrue, "", promptly)
	waitCondition(t, c, route, v1alpha1.ConditionReady, metav1.ConditionTrue, "", promptly)
}

// TestDeletionWaitsForContents deletes a ConsoleNamespace holding a Policy
// and a Route that uses it, and the Policy: the store refuses both while
// something depends on them, and both go as soon as the Route does.
func TestDeletionWaitsForContents(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "blocked-deletion")
	namespace := &v1alpha1.ConsoleNamespace{ObjectMeta: metav1.ObjectMeta{Name: "blocked-deletion"}}
	where := v1alpha1.NamespaceRef{Path: "blocked-deletion"}
	policy := &v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "used", Namespace: ns},
		Spec: v1alpha1.PolicySpec{Namespace: where, PPL: "allow:\n  or:\n    - email: {is: used@example.com}\n"}}
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "user", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: where, From: "https://blocked.example.com", To: []string{"https://blocked.internal"},
		Policies: []v1alpha1.PolicyRef{{Name: "used"}}}}
	for _, obj := range []client.Object{namespace, policy, route} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitCondition(t, c, route, v1alpha1.ConditionReady, metav1.ConditionTrue, "")
	for _, obj := range []client.Object{namespace, policy} {
		if err := c.Delete(ctx, obj); err != nil {
			t.Fatal(err)
		}
		waitCondition(t, c, obj, v1alpha1.ConditionReady, metav1.ConditionFalse, "DeleteBlocked")
	}

	if err := c.Delete(ctx, route); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace and the policy gone", func() (bool, string) {
		nerr := c.Get(ctx, client.ObjectKeyFromObject(namespace), &v1alpha1.ConsoleNamespace{})
		perr := c.Get(ctx, client.ObjectKeyFromObject(policy), &v1alpha1.Policy{})
		return apierrors.IsNotFound(nerr) && apierrors.IsNotFound(perr), describe([]error{nerr, perr})
	}, promptly)
}

// TestReadyFollowsTheReconcilersStatus changes, as the reconciler would,
// the status of a Route that is Ready: the Route reports it at once,
// because the store told the controller.
func TestReadyFollowsTheReconcilersStatus(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "status-wake")
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "followed", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://followed.example.com", To: []string{"https://followed.internal"}}}
	if err := c.Create(ctx, route); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, c, route, v1alpha1.ConditionReady, metav1.ConditionTrue, "")
	id := string(route.UID)
	stored, err := world.store.Get(ctx, store.KindRoute, id)
	if err != nil {
		t.Fatal(err)
	}
	before := counter(t, controllers.StatusWakesMetric, "route")
	// The reconciler writes a status only when its finding changes, so
	// this one stays until the route changes.
	err = world.store.SetStatus(ctx, []store.ObjectStatus{{Kind: store.KindRoute, ID: id, State: store.SyncError,
		ObjectVersion: stored.GetObjectMeta().Version, Reason: "set by the test", Field: "spec.to", UpdatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ready=False with the new finding", func() (bool, string) {
		cond, got := condition(t, c, route, v1alpha1.ConditionReady)
		return cond != nil && cond.Status == metav1.ConditionFalse && strings.Contains(cond.Message, "set by the test"), got
	}, promptly)
	if after := counter(t, controllers.StatusWakesMetric, "route"); after <= before {
		t.Errorf("status wakes of the route controller went from %v to %v", before, after)
	}
}

// counter sums the series of a counter of controller-runtime's registry
// that belong to one controller.
func counter(t testingT, name, controller string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelIs(m, "controller", controller) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

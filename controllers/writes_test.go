package controllers_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
)

// TestTwoWritesPerRoute follows every change of a new Route until it is
// Ready: the controllers write it twice, its finalizer and then its
// status, which never says Pending on the way (the reconciler answers well
// within the grace a status waits for).
func TestTwoWritesPerRoute(t *testing.T) {
	t.Parallel()
	followWrites(t, kubeNamespace(t, "two-writes"), false)
}

// TestOneWritePerRouteWithTheFinalizerPolicy: where the shipped admission
// policy gives a Route its finalizer as it is created, the controllers
// write it once, its status.
func TestOneWritePerRouteWithTheFinalizerPolicy(t *testing.T) {
	t.Parallel()
	followWrites(t, withFinalizerPolicy(t, "one-write"), true)
}

// followWrites creates five Routes in ns (named after it: the console
// names them in its Global namespace) and follows every change of them
// until they are Ready: after two writes each, or one where the policy
// gave them their finalizer.
func followWrites(t *testing.T, ns string, policy bool) {
	t.Helper()
	ctx := t.Context()
	want := 2
	if policy {
		want = 1
	}
	s, err := controllers.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewWithWatch(kube.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, &v1alpha1.RouteList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i := range 5 {
		r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", ns, i), Namespace: ns}, Spec: v1alpha1.RouteSpec{
			Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: fmt.Sprintf("https://%s-%d.example.com", ns, i), To: []string{"https://upstream.internal"}}}
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got := controllerutil.ContainsFinalizer(r, controllers.Finalizer); got != policy {
			t.Fatalf("%s created with finalizers %v", r.Name, r.Finalizers)
		}
	}
	modified, last := map[string]int{}, map[string]string{}
	readyCount := 0
	deadline := time.After(30 * time.Second)
	for readyCount < 5 {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the watch ended")
			}
			r, isRoute := ev.Object.(*v1alpha1.Route)
			if !isRoute || ev.Type != watch.Modified {
				continue
			}
			modified[r.Name]++
			cond := ready(r.Status)
			last[r.Name] = describe(cond)
			switch {
			case cond != nil && cond.Reason == "Pending":
				t.Fatalf("%s said Pending on its way to Ready: %+v", r.Name, cond)
			case cond != nil && cond.Status == metav1.ConditionTrue:
				readyCount++
				if modified[r.Name] != want {
					t.Errorf("%s Ready after %d writes, want %d", r.Name, modified[r.Name], want)
				}
			}
		case <-deadline:
			t.Fatalf("not every Route Ready within 30 s: writes %v, Ready %v", modified, last)
		}
	}
}

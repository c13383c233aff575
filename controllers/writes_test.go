package controllers_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
)

// TestTwoWritesPerRoute follows every change of a new Route until it is
// Ready: the controllers write it twice, its finalizer and then its
// status, which never says Pending on the way (the reconciler answers well
// within the grace a status waits for).
func TestTwoWritesPerRoute(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := kubeNamespace(t, "two-writes")
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
		r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r-%d", i), Namespace: ns}, Spec: v1alpha1.RouteSpec{
			Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: fmt.Sprintf("https://two-writes-%d.example.com", i), To: []string{"https://upstream.internal"}}}
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	modified := map[string]int{}
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
			switch {
			case cond != nil && cond.Reason == "Pending":
				t.Fatalf("%s said Pending on its way to Ready: %+v", r.Name, cond)
			case cond != nil && cond.Status == metav1.ConditionTrue:
				readyCount++
				if modified[r.Name] != 2 {
					t.Errorf("%s Ready after %d writes, want 2 (finalizer, status)", r.Name, modified[r.Name])
				}
			}
		case <-deadline:
			t.Fatalf("not every Route Ready within 30 s: %v", modified)
		}
	}
}

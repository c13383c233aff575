package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/hack/kubetest"
)

var kube *kubetest.Env

func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithOptions(m, &kube, kubetest.Options{CRDDirectoryPaths: []string{"../../config/crd/bases"}}))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestServeRunsTheControllers starts serve with --kubeconfig on the
// embedded store and databroker, applies a Route, and waits for it to be
// Ready: the whole flow from kubectl to the databroker in one process. The
// controllers' leader Lease is held while serve runs.
func TestServeRunsTheControllers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	dir := t.TempDir()
	root := newRoot()
	root.SetArgs([]string{"serve", "--data-dir", filepath.Join(dir, "data"), "--kubeconfig", kube.KubeconfigPath(),
		"--leader-election-namespace", "default", "--grpc-addr", freeAddr(t), "--metrics-addr", "", "--log-level", "error"})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := root.ExecuteContext(ctx); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "serve-e2e", Namespace: "default"}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://serve-e2e.example.com", To: []string{"https://serve-e2e.internal"}}}
	if err := c.Create(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got v1alpha1.Route
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(route), &got); err != nil {
			t.Fatal(err)
		}
		if r := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); r != nil && r.Status == metav1.ConditionTrue && got.Status.RecordVersion > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the route did not become ready: %+v", got.Status)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	var lease coordinationv1.Lease
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: LeaderElectionID}, &lease); err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("leader lease %+v, %v", lease.Spec, err)
	}
}

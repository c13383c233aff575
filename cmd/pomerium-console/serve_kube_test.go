package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/hack/kubetest"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

var kube *kubetest.Env

func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithOptions(m, &kube, kubetest.Options{CRDDirectoryPaths: []string{"../../config/crd/bases"}}))
}

// The tests that run serve with the controllers share the API server and
// would fight over the resources each other creates: they run one after
// the other, and delete what they create.

// serveKube runs serve with the controllers on a data directory until the
// returned stop is called (or the test ends). Later flags override earlier
// ones: the extra flags override the defaults.
func serveKube(t *testing.T, dataDir string, extra ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	root := newRoot()
	root.SetArgs(append([]string{"serve", "--data-dir", dataDir, "--kubeconfig", kube.KubeconfigPath(),
		"--leader-election-namespace", "default", "--grpc-addr", loopback.FreeAddr(t), "--bind-addr", loopback.FreeAddr(t), "--metrics-addr", "", "--log-level", "error"}, extra...))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := root.ExecuteContext(ctx); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func kubeClient(t *testing.T) client.Client {
	t.Helper()
	scheme, err := controllers.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitUntil polls cond every 100 ms for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.For(t, what, time.Minute, cond)
}

func newTestRoute(name string) *v1alpha1.Route {
	return &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://" + name + ".example.com", To: []string{"https://" + name + ".internal"}}}
}

func routeReady(t *testing.T, c client.Client, r *v1alpha1.Route) bool {
	var got v1alpha1.Route
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(r), &got); err != nil {
		return false
	}
	cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	return cond != nil && cond.Status == metav1.ConditionTrue && got.Status.RecordVersion > 0
}

// inStore reports whether the embedded store of a data directory holds the
// route's copy.
func inStore(t *testing.T, dataDir string, r *v1alpha1.Route) bool {
	t.Helper()
	s, err := backend.Open(t.Context(), backend.Options{DataDir: dataDir, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Get(t.Context(), store.KindRoute, string(r.UID))
	return err == nil
}

// TestServeRunsTheControllers starts serve with --kubeconfig on the
// embedded store and databroker, applies a Route, and waits for it to be
// Ready: the whole flow from kubectl to the databroker in one process. The
// controllers' leader Lease is held while serve runs. A Route deleted while
// the console is down is cleaned up when it starts again.
func TestServeRunsTheControllers(t *testing.T) {
	c := kubeClient(t)
	data := filepath.Join(t.TempDir(), "data")
	stop := serveKube(t, data)
	route := newTestRoute("serve-e2e")
	if err := c.Create(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the route ready", func() bool { return routeReady(t, c, route) })
	var lease coordinationv1.Lease
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: LeaderElectionID}, &lease); err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("leader lease %+v, %v", lease.Spec, err)
	}

	stop()
	if err := c.Delete(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	if !inStore(t, data, route) {
		t.Fatal("the store copy went while the console was down")
	}
	serveKube(t, data)
	waitUntil(t, "the route deleted once the console is back", func() bool {
		return apierrors.IsNotFound(c.Get(t.Context(), client.ObjectKeyFromObject(route), &v1alpha1.Route{}))
	})
	if inStore(t, data, route) {
		t.Error("the store copy outlived the route")
	}
}

// TestOneReplicaRunsTheControllers runs two consoles (each with a store of
// its own, so that their work can be told apart) on one cluster: only the
// Lease holder mirrors a Route; when it stops, the other takes over.
func TestOneReplicaRunsTheControllers(t *testing.T) {
	c := kubeClient(t)
	first, second := filepath.Join(t.TempDir(), "first"), filepath.Join(t.TempDir(), "second")
	stopFirst := serveKube(t, first)
	route := newTestRoute("one-leader")
	if err := c.Create(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the route ready", func() bool { return routeReady(t, c, route) })
	serveKube(t, second)
	waitUntil(t, "an edit applied", func() bool {
		var got v1alpha1.Route
		if c.Get(t.Context(), client.ObjectKeyFromObject(route), &got) != nil {
			return false
		}
		got.Spec.To = []string{"https://one-leader-v2.internal"}
		return c.Update(t.Context(), &got) == nil
	})
	waitUntil(t, "the edit ready", func() bool { return routeReady(t, c, route) })
	if inStore(t, second, route) {
		t.Fatal("the replica without the lease mirrored the route")
	}
	stopFirst()
	waitUntil(t, "the second console to take over", func() bool { return inStore(t, second, route) })
	if err := c.Delete(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the route deleted", func() bool {
		return apierrors.IsNotFound(c.Get(t.Context(), client.ObjectKeyFromObject(route), &v1alpha1.Route{}))
	})
}

// TestMetricsIncludeTheControllers scrapes serve's /metrics once a Route is
// Ready: the controllers' metrics are there beside the console's own.
func TestMetricsIncludeTheControllers(t *testing.T) {
	c := kubeClient(t)
	addr := loopback.FreeAddr(t)
	serveKube(t, filepath.Join(t.TempDir(), "data"), "--metrics-addr", addr)
	route := newTestRoute("metrics")
	if err := c.Create(t.Context(), route); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Delete(context.WithoutCancel(t.Context()), route); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete route: %v", err)
		}
	})
	waitUntil(t, "the route ready", func() bool { return routeReady(t, c, route) })
	got := scrape(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		`controller_runtime_reconcile_total{controller="route",result="success"}`,
		`workqueue_adds_total{controller="route",name="route"}`,
		controllers.StatusWakesMetric + `{controller="route"}`,
		"pomerium_console_reconcile_",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s, %v\n%s", url, resp.Status, err, body)
	}
	return string(body)
}

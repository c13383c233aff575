package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/kubetest"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqlite"
)

// world is what the tests of this package share: a console (store,
// reconcile loop, embedded databroker) and a manager running the
// controllers against the package's API server. Tests keep apart by using
// Kubernetes namespaces and console names of their own.
var world struct {
	store  store.Store
	broker *databroker.Client
}

func prepare(kube *kubetest.Env) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	dir, err := os.MkdirTemp("", "pomerium-console-controllers-")
	if err != nil {
		cancel()
		return nil, err
	}
	var stops []func()
	done := func() {
		cancel()
		for _, stop := range stops {
			stop()
		}
		os.RemoveAll(dir) //nolint:errcheck // a temporary directory
	}
	fail := func(err error) (func(), error) { done(); return nil, err }

	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "console.db"), EncryptionKey: make([]byte, 32), Logger: logr.Discard()})
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { _ = st.Close() })
	secret := []byte(strings.Repeat("s", 32))
	b := memory.New(memory.Options{SharedSecret: secret, Logger: logr.Discard()})
	addr, err := b.Start("127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	stops = append(stops, b.Stop)
	client, err := databroker.Dial(databroker.Options{URL: "http://" + addr.String(), SharedSecret: secret, Logger: logr.Discard()})
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { _ = client.Close() })
	loop := reconcile.New(reconcile.Options{Store: st, Client: client, Instance: "test", Logger: logr.Discard(), RetryBackoff: 50 * time.Millisecond})
	go func() { _ = loop.Run(ctx) }() // ends with ctx

	scheme, err := controllers.NewScheme()
	if err != nil {
		return fail(err)
	}
	// The controllers do not see the ceiling namespace, where the benchmark
	// measures the API server alone.
	mgr, err := ctrl.NewManager(kube.Config, ctrl.Options{Scheme: scheme, Metrics: server.Options{BindAddress: "0"}, Logger: logr.Discard(),
		Cache: cache.Options{ByObject: map[ctrlclient.Object]cache.ByObject{
			&v1alpha1.Route{}: {Field: fields.OneTermNotEqualSelector("metadata.namespace", ceilingNamespace)},
		}}})
	if err != nil {
		return fail(err)
	}
	if err := controllers.Setup(mgr, manage.New(manage.Options{Store: st, Logger: logr.Discard()}), st, logr.Discard()); err != nil {
		return fail(err)
	}
	go func() { _ = mgr.Start(ctx) }() // ends with ctx
	world.store, world.broker = st, client
	return done, nil
}

// kubeNamespace creates a Kubernetes namespace of its own for a test.
func kubeNamespace(t testingT, name string) string {
	c := newClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}

// testingT is what the helpers need of a test.
type testingT interface {
	Helper()
	Fatalf(string, ...any)
	Context() context.Context
}

// eventually polls cond until it holds or 30 seconds (or the time given)
// pass.
func eventually(t testingT, what string, cond func() (bool, string), within ...time.Duration) {
	t.Helper()
	limit := 30 * time.Second
	if len(within) > 0 {
		limit = within[0]
	}
	wait.Until(t, what, limit, cond)
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }

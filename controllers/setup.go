package controllers

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/store"
)

// Setup registers the controllers of every kind with a manager. The
// manager's scheme must know the v1alpha1 types.
func Setup(mgr ctrl.Manager, s store.Store, log logr.Logger) error {
	c := mgr.GetClient()
	namespaces := &mirror[*v1alpha1.ConsoleNamespace]{
		client: c, store: s, log: log.WithName("consolenamespace"), kind: store.KindNamespace,
		newObj: func() *v1alpha1.ConsoleNamespace { return &v1alpha1.ConsoleNamespace{} },
		status: func(o *v1alpha1.ConsoleNamespace) *v1alpha1.Status { return &o.Status },
		toStore: func(ctx context.Context, o *v1alpha1.ConsoleNamespace) (store.Object, error) {
			return namespaceToStore(ctx, s, o)
		},
	}
	policies := &mirror[*v1alpha1.Policy]{
		client: c, store: s, log: log.WithName("policy"), kind: store.KindPolicy, records: true,
		newObj: func() *v1alpha1.Policy { return &v1alpha1.Policy{} },
		status: func(o *v1alpha1.Policy) *v1alpha1.Status { return &o.Status },
		toStore: func(ctx context.Context, o *v1alpha1.Policy) (store.Object, error) {
			return policyToStore(ctx, s, o)
		},
	}
	routes := &mirror[*v1alpha1.Route]{
		client: c, store: s, log: log.WithName("route"), kind: store.KindRoute, records: true,
		newObj: func() *v1alpha1.Route { return &v1alpha1.Route{} },
		status: func(o *v1alpha1.Route) *v1alpha1.Status { return &o.Status },
		toStore: func(ctx context.Context, o *v1alpha1.Route) (store.Object, error) {
			return routeToStore(ctx, c, s, o)
		},
	}
	// Objects are independent of each other (the store serializes writes),
	// so several reconcile at once: most of a reconcile is waiting on the
	// API server.
	opts := controller.Options{MaxConcurrentReconciles: concurrency}
	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.ConsoleNamespace{}).Named("consolenamespace").WithOptions(opts).Complete(namespaces); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Policy{}).Named("policy").WithOptions(opts).Complete(policies); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Route{}).Named("route").WithOptions(opts).Complete(routes)
}

// concurrency is how many objects of one kind reconcile at once.
const concurrency = 8

// NewScheme returns a scheme that knows the built-in Kubernetes kinds and
// the console's own: what a manager or client of these controllers needs.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

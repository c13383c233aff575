package controllers

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// Setup registers the controllers of every kind with a manager. The
// manager's scheme must know the v1alpha1 types.
//
// What an object waits for queues it when it changes: what it references
// coming into the store (a Policy or ConsoleNamespace created, or renamed),
// what blocks its deletion going (a Route or Policy deleted), and the
// reconciler's finding about it (the store's status feed).
//
// The controllers write through the use cases (app) as "kubernetes", with
// origin kubernetes, and read the reconciler's findings from statuses.
func Setup(mgr ctrl.Manager, app *manage.App, statuses store.StatusReader, log logr.Logger) error {
	for _, ix := range indexes {
		// The context bounds waiting for an informer, which happens only
		// once the manager runs.
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), ix.obj, ix.field, ix.extract); err != nil {
			return fmt.Errorf("index %T by %s: %w", ix.obj, ix.field, err)
		}
	}
	c := mgr.GetClient()
	d := dependents{cache: c, log: log.WithName("dependents")}
	namespaces := &mirror[*v1alpha1.ConsoleNamespace]{
		name: "consolenamespace", client: c, app: app, statuses: statuses, log: log.WithName("consolenamespace"), kind: store.KindNamespace,
		newObj:  func() *v1alpha1.ConsoleNamespace { return &v1alpha1.ConsoleNamespace{} },
		newList: func() client.ObjectList { return &v1alpha1.ConsoleNamespaceList{} },
		toStore: namespaceToStore,
	}
	policies := &mirror[*v1alpha1.Policy]{
		name: "policy", client: c, app: app, statuses: statuses, log: log.WithName("policy"), kind: store.KindPolicy, records: true,
		newObj:  func() *v1alpha1.Policy { return &v1alpha1.Policy{} },
		newList: func() client.ObjectList { return &v1alpha1.PolicyList{} },
		toStore: policyToStore,
	}
	routes := &mirror[*v1alpha1.Route]{
		name: "route", client: c, app: app, statuses: statuses, log: log.WithName("route"), kind: store.KindRoute, records: true,
		newObj:  func() *v1alpha1.Route { return &v1alpha1.Route{} },
		newList: func() client.ObjectList { return &v1alpha1.RouteList{} },
		toStore: func(ctx context.Context, w writer, o *v1alpha1.Route) (store.Object, error) {
			return routeToStore(ctx, c, w, o)
		},
	}
	// Objects are independent of each other (the store serializes writes),
	// so several reconcile at once: most of a reconcile is waiting on the
	// API server.
	opts := controller.Options{MaxConcurrentReconciles: concurrency}
	mapped := handler.EnqueueRequestsFromMapFunc
	err := ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.ConsoleNamespace{}).Named(namespaces.name).WithOptions(opts).
		Watches(&v1alpha1.ConsoleNamespace{}, mapped(d.namingNamespace(namespaces.newList)), builder.WithPredicates(appeared)).
		Watches(&v1alpha1.ConsoleNamespace{}, mapped(d.deletingNamespaces), builder.WithPredicates(gone)).
		Watches(&v1alpha1.Policy{}, mapped(d.deletingNamespaces), builder.WithPredicates(gone)).
		Watches(&v1alpha1.Route{}, mapped(d.deletingNamespaces), builder.WithPredicates(gone)).
		Complete(namespaces)
	if err != nil {
		return err
	}
	err = ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Policy{}).Named(policies.name).WithOptions(opts).
		Watches(&v1alpha1.ConsoleNamespace{}, mapped(d.namingNamespace(policies.newList)), builder.WithPredicates(appeared)).
		Watches(&v1alpha1.Route{}, mapped(d.deletingPolicies), builder.WithPredicates(gone)).
		WatchesRawSource(newStatusSource(statuses, policies.statusRequests)).
		Complete(policies)
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.Route{}).Named(routes.name).WithOptions(opts).
		Watches(&v1alpha1.ConsoleNamespace{}, mapped(d.namingNamespace(routes.newList)), builder.WithPredicates(appeared)).
		Watches(&v1alpha1.Policy{}, mapped(d.namingPolicy), builder.WithPredicates(appeared)).
		WatchesRawSource(newStatusSource(statuses, routes.statusRequests)).
		Complete(routes)
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

package controllers

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
)

// Field indexes of the informer cache, which let a change of one object
// queue exactly the objects that depend on it instead of having them poll.
const (
	// indexNamespaceRef finds the objects that name a console namespace
	// (spec.namespace of Routes and Policies, spec.parent of
	// ConsoleNamespaces), by namespaceRefKeys.
	indexNamespaceRef = "spec.namespace"
	// indexPolicyRef finds the Routes that name a Policy, by policyRefKeys.
	indexPolicyRef = "spec.policies"
	// indexIdentity finds a ConsoleNamespace by the keys a reference to it
	// may have, by namespaceKeys.
	indexIdentity = "console.identity"
)

// A reference is keyed by what it holds: an id, or a name. A namespace path
// is keyed by its last segment, the name of the namespace it ends at: which
// of the namespaces of that name it means, and whether the ones above it
// exist, the reconcile finds out by resolving it, as it must anyway.
const (
	keyID   = "id:"
	keyName = "name:"
)

func namespaceRefKeys(ref *v1alpha1.NamespaceRef) []string {
	switch {
	case ref == nil:
		return nil
	case ref.ID != "":
		return []string{keyID + ref.ID}
	case ref.Path != "":
		return []string{keyName + ref.Path[strings.LastIndex(ref.Path, "/")+1:]}
	}
	return nil
}

// namespaceKeys are the keys of the references that may name a console
// namespace.
func namespaceKeys(o *v1alpha1.ConsoleNamespace) []string {
	name := o.Spec.Name
	if name == "" {
		name = o.Name
	}
	return []string{keyID + string(o.UID), keyName + name}
}

// policyRefKeys are the keys of a Route's policy references: a name means
// a Policy of the Route's namespace.
func policyRefKeys(r *v1alpha1.Route) []string {
	keys := make([]string, 0, len(r.Spec.Policies))
	for _, ref := range r.Spec.Policies {
		if ref.ID != "" {
			keys = append(keys, keyID+ref.ID)
		} else {
			keys = append(keys, keyName+ref.Name)
		}
	}
	return keys
}

// namespaceRef is the console namespace reference of an object, if any.
func namespaceRef(o client.Object) *v1alpha1.NamespaceRef {
	switch o := o.(type) {
	case *v1alpha1.Route:
		return &o.Spec.Namespace
	case *v1alpha1.Policy:
		return &o.Spec.Namespace
	case *v1alpha1.ConsoleNamespace:
		return o.Spec.Parent
	}
	return nil
}

// indexes is every field index the controllers use.
var indexes = []struct {
	obj     client.Object
	field   string
	extract client.IndexerFunc
}{
	{&v1alpha1.Route{}, indexNamespaceRef, func(o client.Object) []string { return namespaceRefKeys(namespaceRef(o)) }},
	{&v1alpha1.Policy{}, indexNamespaceRef, func(o client.Object) []string { return namespaceRefKeys(namespaceRef(o)) }},
	{&v1alpha1.ConsoleNamespace{}, indexNamespaceRef, func(o client.Object) []string { return namespaceRefKeys(namespaceRef(o)) }},
	{&v1alpha1.Route{}, indexPolicyRef, func(o client.Object) []string { return policyRefKeys(o.(*v1alpha1.Route)) }},
	{&v1alpha1.ConsoleNamespace{}, indexIdentity, func(o client.Object) []string { return namespaceKeys(o.(*v1alpha1.ConsoleNamespace)) }},
}

// dependents finds, through the cache's indexes, the objects that wait for
// another: it maps an event of that object to reconcile requests.
type dependents struct {
	cache client.Reader
	log   logr.Logger
}

// list returns a request for every object of the list's kind that matches.
func (d dependents) list(ctx context.Context, list client.ObjectList, keep func(client.Object) bool, opts ...client.ListOption) []reconcile.Request {
	// Only names are read: the cache's own copies serve.
	opts = append(opts, client.UnsafeDisableDeepCopy)
	if err := d.cache.List(ctx, list, opts...); err != nil {
		// Only a missing index, a mistake of Setup, fails a list from the
		// cache.
		d.log.Error(err, "list dependents", "list", fmt.Sprintf("%T", list))
		return nil
	}
	var out []reconcile.Request
	err := meta.EachListItem(list, func(item runtime.Object) error {
		if o := item.(client.Object); keep == nil || keep(o) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
		return nil
	})
	if err != nil {
		d.log.Error(err, "read dependents")
	}
	return out
}

// namingNamespace maps a ConsoleNamespace to the objects of a kind whose
// namespace reference may name it.
func (d dependents) namingNamespace(newList func() client.ObjectList) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var out []reconcile.Request
		for _, key := range namespaceKeys(o.(*v1alpha1.ConsoleNamespace)) {
			out = append(out, d.list(ctx, newList(), nil, client.MatchingFields{indexNamespaceRef: key})...)
		}
		return out
	}
}

// namingPolicy maps a Policy to the Routes that name it.
func (d dependents) namingPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	out := d.list(ctx, &v1alpha1.RouteList{}, nil, client.InNamespace(o.GetNamespace()), client.MatchingFields{indexPolicyRef: keyName + o.GetName()})
	return append(out, d.list(ctx, &v1alpha1.RouteList{}, nil, client.MatchingFields{indexPolicyRef: keyID + string(o.GetUID())})...)
}

// deletingNamespaces maps an object that is gone to the ConsoleNamespaces
// being deleted that may have held it: their deletion may have waited for it.
func (d dependents) deletingNamespaces(ctx context.Context, o client.Object) []reconcile.Request {
	var out []reconcile.Request
	for _, key := range namespaceRefKeys(namespaceRef(o)) {
		out = append(out, d.list(ctx, &v1alpha1.ConsoleNamespaceList{}, deleting, client.MatchingFields{indexIdentity: key})...)
	}
	return out
}

// deletingPolicies maps a Route that is gone to the Policies being deleted
// that it named: their deletion may have waited for it.
func (d dependents) deletingPolicies(ctx context.Context, o client.Object) []reconcile.Request {
	var out []reconcile.Request
	for _, ref := range o.(*v1alpha1.Route).Spec.Policies {
		if ref.ID != "" {
			// Policies are few, and only a reference by id to a Policy of
			// Kubernetes comes here: no index of their own.
			named := func(p client.Object) bool { return deleting(p) && string(p.GetUID()) == ref.ID }
			out = append(out, d.list(ctx, &v1alpha1.PolicyList{}, named)...)
			continue
		}
		var p v1alpha1.Policy
		if d.cache.Get(ctx, client.ObjectKey{Namespace: o.GetNamespace(), Name: ref.Name}, &p) == nil && deleting(&p) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&p)})
		}
	}
	return out
}

func deleting(o client.Object) bool { return !o.GetDeletionTimestamp().IsZero() }

// appeared passes the events of a referenced object that may let what
// references it proceed: it came or went, or what of it matters to them
// changed (referentState). Its other changes mean nothing to them, and a
// Policy used by thousands of Routes must not queue them all at every edit.
var appeared = predicate.Funcs{
	UpdateFunc:  func(e event.UpdateEvent) bool { return referentState(e.ObjectOld) != referentState(e.ObjectNew) },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// referentState sums up what of a referenced object matters to what
// references it: whether the store holds it (its Synced condition) and, for
// a ConsoleNamespace, the names it answers to and the generation the store
// holds, since a rename reaches the store only with that generation.
func referentState(o client.Object) string {
	synced := meta.FindStatusCondition(consoleStatus(o).Conditions, v1alpha1.ConditionSynced)
	if synced == nil {
		synced = &metav1.Condition{}
	}
	state := string(synced.Status)
	if ns, ok := o.(*v1alpha1.ConsoleNamespace); ok {
		state += fmt.Sprint(namespaceKeys(ns), synced.ObservedGeneration)
	}
	return state
}

// gone passes the deletion of an object whose store copy is already gone
// (the finalizer kept it until then), which may unblock the deletion of what
// held it. An object moved to another namespace or rid of a policy is not
// seen here: the watch fires before its store copy changes, and the
// recheck of a blocked deletion covers it.
var gone = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

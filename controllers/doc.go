// Package controllers holds the controller-runtime controllers that mirror
// the console's Kubernetes resources (Route, Policy, ConsoleNamespace of
// console.pomerium.io) into the store, with origin kubernetes and a
// reference back to the object, and report on each object what became of it
// (Synced: in the store; Ready: written to the databroker, or why not).
//
// An object does not poll for what Kubernetes or the reconciler changes: a
// change of what it waits for (a Policy or ConsoleNamespace it names, what
// blocks its deletion, the reconciler's finding about it on the store's
// status feed) queues it, found through field indexes of the informer
// cache. Only what the store alone sees (a namespace made through the API)
// is looked at again on a timer.
//
// Controllers only translate between Kubernetes and the store; they never
// call the databroker. A store object's id is its Kubernetes object's UID,
// so the two stay paired without a mapping of their own.
package controllers

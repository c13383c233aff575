// Package v1alpha1 holds the Kubernetes API types of the console, group
// console.pomerium.io: Route, Policy and ConsoleNamespace. Each custom
// resource is desired state that the console mirrors into its store, where
// it is read-only to the API and the web console, and whose outcome (synced
// to Pomerium's databroker, or why not) is reported back in its status.
//
// +kubebuilder:object:generate=true
// +groupName=console.pomerium.io
package v1alpha1

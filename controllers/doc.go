// Package controllers will hold the controller-runtime controllers that
// mirror the console's Kubernetes resources into the store and report status
// back on them.
//
// It is not built yet; the README lists what works today. Controllers only
// translate between Kubernetes and the store; they never call the databroker.
package controllers

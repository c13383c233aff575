// Package reconcile will turn desired state into Pomerium databroker records:
// a pure compile step, a diff against the records we own, and a
// level-triggered loop that writes the difference under a lease.
//
// It is not built yet; the README lists what works today. It must never
// write desired state, and nothing but this package writes to the databroker.
package reconcile

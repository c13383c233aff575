// Package storetest is the conformance suite of store backends: every
// implementation of [store.Store] runs [Run] against its own storage and must
// pass it unchanged, so that the API, the controllers and the reconcile loop
// can rely on one behaviour whichever backend is configured.
//
// The suite speaks to a backend only through [store.Store] and the small
// [Env] a backend provides; it must not import a backend, reach into its
// tables, or accept backend-specific behaviour. A rule that only one backend
// can keep belongs in that backend's own tests, not here. [Benchmarks] offers
// the same neutrality for performance measurements.
package storetest

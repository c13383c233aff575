// Package reconcile keeps Pomerium's databroker equal to desired state. It
// compiles the whole desired state into target records (package compile,
// pure), compares them with a view of the records it owns in the databroker
// (loaded once with SyncLatest, then kept current from Sync streams), and
// writes the difference under a databroker lease so that one instance writes.
// It is level-triggered: change notifications only wake it, a periodic resync
// covers lost ones, and a pass with nothing to change writes nothing.
//
// It must never write desired state (only status and health), and it only
// ever writes or deletes records whose originator is the console.
package reconcile

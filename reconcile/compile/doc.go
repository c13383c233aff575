// Package compile turns the console's desired state into the databroker
// records Pomerium reads, together with a status for every desired object.
//
// Compilation is a pure function of a store.State: it performs no I/O, reads
// no clock and gives the same records, in the same order and with the same
// bytes, for the same input. It resolves the namespace tree, folds the
// enforced policies of a route's namespace and of every namespace above it
// into the route's policy_ids, and validates every object against the rules
// Pomerium v0.33.0 applies when it builds its configuration.
//
// An object that fails validation produces no record, only an invalid status:
// Pomerium rejects its whole databroker configuration when one route or the
// settings record is bad, and silently drops a policy whose PPL it cannot
// parse, so an invalid record must never be written. What to do with the
// last good record of an invalid object is the caller's decision.
//
// The package must not talk to the store or the databroker, and must not log.
package compile

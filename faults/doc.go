// Package faults runs the console as its users run it (the built binary's
// serve command, real PostgreSQL or the embedded store, Pomerium's own
// databroker or the console's embedded one as a process of its own) and
// breaks what it depends on while clients write through its API: the
// database restarted or crashed, a replica killed, the writer killed in the
// middle of a cold reconcile, the link to the databroker delayed, reset or
// cut, the embedded store's disk full or read-only. Each scenario is bounded in time, prints its
// figures (refusals by code, time to recover, takeover time) and ends with
// two invariants checked mechanically:
//
//   - the databroker holds exactly the records a fresh compilation of the
//     store gives, no more and no fewer;
//   - every write a client was told succeeded is in the store, nothing a
//     client was told failed is, and nothing is there twice.
//
// The package holds tests only. It must not hold behaviour the console
// needs, and it must not reach into the console's insides while a
// scenario runs: what it does to the console, a process, a client or an
// operator could do.
package faults

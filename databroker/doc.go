// Package databroker is the console's client of Pomerium's databroker:
// shared-secret authentication (an HS256 JWT per call in the "jwt" metadata),
// plaintext or TLS by URL scheme, Puts batched under the message limit,
// SyncLatest and Sync with a reset error when the databroker can no longer
// serve changes, leases that end their context the moment they are lost, and
// gRPC's own retries on Unavailable. The embedded databroker, used when no
// databroker_service_url is configured and by tests, is in databroker/memory.
//
// It must not know about desired state: it moves records.
package databroker

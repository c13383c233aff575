// Package memory is an in-memory databroker: the gRPC service
// databroker.DataBrokerService (and CheckpointService) of Pomerium v0.33.0,
// served over a real socket. `pomerium-console serve` runs it when no
// databroker_service_url is configured, for trials, and the databroker
// client is tested against it.
//
// It must answer on the wire exactly as Pomerium's own databroker with its
// in-memory backend does, because the console also runs against that one:
// same messages in the same order, same status codes, same version and
// tombstone semantics. It must not persist anything, know about console
// objects, or grow behaviour Pomerium lacks. The behaviour below was read
// from Pomerium's internal/databroker/server_backend.go, server_secured.go,
// pkg/storage/inmemory/backend.go and iterate.go, pkg/storage/storage.go,
// filter.go and record_collection.go, and pkg/grpcutil's RequireSignedJWT,
// in the versions whose messages match the v0.33.0 proto.
//
// # Versions
//
// A server version (random uint64) names the record history; it is drawn
// anew on every start and on Clear. Every stored record gets the next value
// of one counter shared by all types (record_version), starting at 1;
// rewriting identical data is still a new version, so writers diff first.
//
// # Records
//
// Put stores each record of the request, in order, under a new version,
// stamps modified_at, and answers with the request's records so completed
// and the server version. A record with deleted_at is a delete: it is
// versioned and kept in the change log (a tombstone) but removed from the
// live set, so Get answers NotFound for it as for a record never written,
// and Query and SyncLatest never show it. There is no compare-and-swap.
// Writes larger than gRPC's default 4 MiB message limit are refused.
//
// Query lists live records of a type, or of every type in sorted type
// order, each type in insertion order (a rewrite moves a record last). The
// filter grammar is Pomerium's ($and, $or, $not, lists as OR, nested
// paths, operator keys); in memory only equality is evaluated, on "id", on
// "$index" (which matches nothing here: no console record carries an IP
// index) and on the type's indexable_fields. A filter naming another field
// ends the listing at that type with what was found so far; $not and other
// operators are Unimplemented; a malformed filter is InvalidArgument. The
// query string keeps records with a string field containing it, ignoring
// case. Offset and limit then page the result, Pomerium's way: limit 0
// returns no records. total_count counts before paging; server_version and
// record_version come with it. ListTypes lists every type ever written or
// given options, even if all its records are deleted.
//
// # Sync
//
// SyncLatest sends every live record, one per message, then a TypedOptions
// message for each type with options, then one Versions message (server
// version, latest record version). Sync first refuses with Aborted a server
// version other than ours ("invalid server version") or a record version
// older than one before the earliest retained change ("invalid record
// version"); then it sends the options of the type (or of every type), and
// every change after the record version one record per message in version
// order, tombstones included, filtered by type if one is given, and waits
// for more until the client cancels (or returns when wait is false). The
// change log keeps one hour of changes (ChangeLogRetention), trimmed
// whenever it is read or written; ServerInfo reports the earliest and
// latest record versions. Clear drops records, options and checkpoint
// under a new server version, restarts versions at 1 and ends open Sync
// streams with Canceled; clearing an empty server is a no-op.
//
// # Leases
//
// AcquireLease grants a free or expired lease under a new id, else
// AlreadyExists ("lease is already taken"). RenewLease extends a lease the
// id holds; if another id holds it, or the duration is not positive (which
// releases it), AlreadyExists ("lease no longer held"). An expired lease
// nobody took is granted again on renewal. ReleaseLease never fails.
// Expiry follows the injected clock.
//
// # Authentication
//
// Every call needs a `jwt` metadata token, an HS256 JWT signed with the
// decoded shared secret carrying exp: missing, badly signed or expired are
// all Unauthenticated. With no shared secret every call is Unavailable.
//
// # Differences from Pomerium
//
//   - Token checks use databroker.VerifyToken, which allows 5 s of clock
//     skew and claims besides exp; Pomerium allows neither.
//   - Pomerium presets options (capacity, indexes) for its own session
//     types at start, so its ListTypes, SyncLatest and Sync also show
//     those types and their options; this server starts empty. Clients
//     must ignore types and options messages they do not use.
//   - Options ttl is stored and reported, but records do not expire.
//   - Patch is Unimplemented: Pomerium merges by field mask after decoding
//     with its own type registry, and the console writes whole records.
//   - A negative Query offset or limit is InvalidArgument (Pomerium panics).
//   - A Sync stream that falls behind the trimmed change log ends with
//     Aborted; Pomerium silently skips what was trimmed.
//   - SyncLatest reads one consistent snapshot, and is not ended by a
//     concurrent Clear; its Versions then name the old server version, so
//     the following Sync is refused and the client starts again.
//   - The change log is trimmed on access rather than once a minute, and
//     can also be capped by count (MaxChanges).
package memory

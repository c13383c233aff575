// Package memory is an in-memory databroker: the gRPC service
// databroker.DataBrokerService (and CheckpointService) of Pomerium v0.33.0,
// served over a real socket. `pomerium-console serve` runs it when no
// databroker_service_url is configured, for trials, and the databroker
// client is tested against it.
//
// It must answer on the wire exactly as Pomerium's own databroker with its
// in-memory backend does, because the console also runs against that one:
// same messages in the same order, same status codes and messages, same
// version and tombstone semantics. It must not persist anything, know about
// console objects, or grow behaviour Pomerium lacks. The behaviour below was
// read from Pomerium v0.33.0's internal/databroker/server_backend.go and
// server_secured.go, pkg/storage/file (which its in-memory backend is, over
// an in-memory store), pkg/storage/filter.go and pkg/grpcutil's
// RequireSignedJWT, and is checked against Pomerium's own databroker by
// conformance_test.go, which plays the same calls to both and compares the
// answers.
//
// # Versions
//
// A server version (random uint64) names the record history; it is drawn
// anew on every start and on every Clear. Every stored record gets the next
// value of one counter shared by all types (record_version), starting at 1;
// rewriting identical data is still a new version, so writers diff first.
//
// # Records
//
// Put stores each record of the request, in order, under a new version,
// stamps modified_at, and answers with the request's records so completed
// and the server version. A record with deleted_at is a delete: it removes
// the live record, and the change it leaves (which Sync streams) is that
// record as it was, its data included, with deleted_at and modified_at set
// to the server's time, under a new version; the answer carries the delete
// as it was sent, without a version. Deleting a record that is not there
// changes nothing and takes no version. Get answers NotFound for a deleted
// record as for one never written, and Query and SyncLatest never show it.
// There is no compare-and-swap. Writes larger than gRPC's default 4 MiB
// message limit are refused.
//
// Query lists live records of a type, or of every type, in type and then
// id order (byte order, the order of Pomerium's keys). The filter grammar
// is Pomerium's ($and, $or, $not, lists as OR, nested paths, operator
// keys); only equality is evaluated: on "id" (of every type when no type
// is given), on "$index" (which matches nothing here: no console record
// carries an IP index) and on the type's indexable_fields. A filter on any
// other field, or on a field of no type, matches nothing; $not and the
// other operators are Unimplemented (with Pomerium's message, which repeats
// the status); a malformed filter is InvalidArgument. The query string
// keeps records with a string field containing it, ignoring case. Offset
// and limit then page the result, Pomerium's way: limit 0 returns no
// records. total_count counts before paging; server_version and
// record_version come with it. ListTypes lists, sorted, the types that have
// live records: not those whose records were all deleted, nor those that
// only have options.
//
// # Sync
//
// SyncLatest sends every live record, one per message, in the order Query
// lists them, then a TypedOptions message for each type with options (of
// the type asked for, or of every type ListTypes lists), then one Versions
// message (server version, latest record version). Sync first refuses with
// Aborted a server version other than ours ("invalid server version") or a
// record version older than one before the earliest retained change
// ("invalid record version"); then it sends the options as SyncLatest does,
// and every change after the record version one record per message in
// version order, tombstones included, filtered by type if one is given, and
// waits for more until the client cancels (or returns when wait is false).
// The change log keeps one hour of changes (ChangeLogRetention); ServerInfo
// reports the earliest and latest record versions. Clear drops records,
// options and checkpoint under a new server version, restarts versions at 1
// and ends open Sync streams with Canceled.
//
// # Options
//
// A new server has the options Pomerium gives its own session and MCP types
// when it starts (capacities, indexes, ttls); Clear drops them. SetOptions
// replaces a type's options and answers them read back (NotFound for empty
// options, which remove them). A capacity takes effect at the type's next
// Put, which deletes the records past it counting from the newest, newest
// first. Records of a type with a ttl are deleted once last written longer
// ago than it.
//
// # Leases
//
// A lease goes to whoever asks (AcquireLease under a new id, RenewLease
// under the id given) when it is free, expired or already theirs, until now
// plus the duration asked, whatever its sign: AcquireLease grants even a
// lease that has already expired, and RenewLease with a zero duration
// succeeds and lets it expire. A lease another id holds unexpired is
// AlreadyExists ("lease is already taken", "lease no longer held").
// ReleaseLease leases it for -1ns and never fails. Leases survive Clear.
// Expiry follows the injected clock.
//
// # Authentication
//
// Every call needs a `jwt` metadata token, a JWT signed by HMAC with the
// decoded shared secret that carries exactly one claim, exp, a number, not
// in the past (no clock skew allowed): anything else is Unauthenticated
// ("unauthenticated" without a token, "invalid JWT" otherwise). With no
// shared secret every call is Unavailable.
//
// # Differences from Pomerium
//
//   - Patch decodes data with the messages this process links (the
//     console's pomerium.config, session, user and device messages); a
//     record of any other type is refused with InvalidArgument.
//   - "$index" filters match nothing: Pomerium looks IPs and CIDRs up in an
//     index of records that carry one, which no console record does.
//   - A negative Query offset or limit is InvalidArgument (Pomerium panics).
//   - A Sync stream that falls behind the trimmed change log ends with
//     Aborted; Pomerium silently skips what was trimmed.
//   - SyncLatest reads one consistent snapshot, and is not ended by a
//     concurrent Clear; its Versions then name the old server version, so
//     the following Sync is refused and the client starts again.
//   - The change log is trimmed, and records past their ttl deleted, on
//     access rather than once a minute; the log can also be capped by count
//     (MaxChanges).
package memory

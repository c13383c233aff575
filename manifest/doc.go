// Package manifest writes desired state as a declarative document (YAML
// or JSON) and plans what applying such a document changes: the
// `pomerium-console export` and `apply` commands.
//
// A document names objects the way people do: namespaces by their path
// from the Global namespace ("Global/Engineering"), every other object by
// its namespace and name (service accounts by their user, permissions by
// their subject), and references between objects (a route's policy_ids,
// the *_key_pair_id fields of routes and settings) by name: a bare name is
// an object of the referrer's own namespace, a path ("Global/baseline") one
// of another. Ids, versions, times and origins are the store's and are
// left out, so a document applies to any console. A route's and the
// settings' spec is the pomerium.config message in protojson with its
// proto field names; secrets (route and settings secrets, private keys)
// are written only when asked for, and otherwise listed under
// secrets_omitted, which tells apply to keep what the store holds.
//
// [Export] turns a state into a document; [Decode] and [Encode] read and
// write one; [NewPlan] compares a document with a state and returns, for each
// object that differs, the change (create, update, delete) with a diff and
// the store write that makes it, and every object it refuses, naming the
// object and the field. Exporting a state and planning the export against
// the same state changes nothing.
//
// The package is pure: it reads no store and writes nothing. The use cases
// (manage.Export, manage.Apply) read the state, decide who may do what and
// write the plan in one transaction.
package manifest

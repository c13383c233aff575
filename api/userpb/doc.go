// Package userpb is the Go form of the user protobuf package: the
// user.User and user.ServiceAccount records that Pomerium keeps in its databroker. It is generated from
// api/pomerium/user/user.proto by hack/generate.sh, and its descriptors are checked against
// Pomerium's own wire facts in testdata/pomerium-records-wire.tsv.
//
// It must not contain logic or hand-written types: anything added here would
// be lost on the next generation, and consumers rely on the messages being
// exactly Pomerium's so that the records the console reads and writes back
// decode unchanged.
package userpb

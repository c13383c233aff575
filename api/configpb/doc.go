// Package configpb is the Go form of the pomerium.config protobuf package:
// the Route, Policy, KeyPair, Settings and related messages that Pomerium
// reads from databroker records. It is generated from
// api/pomerium/config/config.proto by hack/generate.sh, and its descriptors
// are checked against Pomerium's own wire facts in
// testdata/pomerium-config-wire.tsv.
//
// It must not contain logic or hand-written types: anything added here would
// be lost on the next generation, and consumers rely on the messages being
// exactly Pomerium's so that the records we write decode unchanged.
package configpb

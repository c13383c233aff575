// Package dashboardpb is the Go form of the pomerium.dashboard protobuf
// package: the Enterprise Console API that the official Go and Python
// clients speak, its messages and gRPC stubs here and its Connect handlers
// and clients in dashboardpbconnect. It is generated from
// api/pomerium/dashboard/*.proto by hack/generate.sh, and its descriptors are
// checked against the upstream wire facts in
// testdata/pomerium-dashboard-wire.tsv.
//
// It must not contain logic or hand-written types: anything added here would
// be lost on the next generation. Extensions of the API must leave the
// upstream contract intact, so that the official clients keep decoding
// everything they know: either fields numbered 1000 and up inside the
// upstream messages, or declarations in a protobuf package of our own.
package dashboardpb

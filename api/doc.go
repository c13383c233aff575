// Package api holds the wire contracts the console shares with Pomerium and
// with its own clients: protobuf definitions under api/<proto package>/ and
// the Go code generated from them in sibling packages such as configpb.
//
// Nothing here may contain logic or import another package of this module;
// the contracts are the bottom of the dependency graph, and behaviour built
// on them lives with the code that uses them.
package api

// Package tools pins, through the tool directives of its go.mod, the
// developer tools run as `go tool -modfile=tools/go.mod <tool>`: buf and the
// protoc plugins used by hack/generate.sh, staticcheck for `make lint`, and
// crane, with which hack/containerimage's tests push the image to a registry.
// They live in a module of their own so that their large dependency graphs
// never enter the build list of the console itself.
//
// protoc-gen-go is deliberately not pinned here but taken from the main
// module's google.golang.org/protobuf requirement: generated code has to
// match the runtime it links against, and buf forces a newer protobuf on
// any module that requires it.
//
// The package holds no code and must not: nothing imports it.
package tools

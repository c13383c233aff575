// Package wirespec holds the tests' side of our protobuf contracts: it reads a
// table of wire facts (every message, field, enum and rpc of a protobuf
// package as its owner compiled it) and checks the descriptors of our
// generated code against it, both declaration by declaration and by encoding
// populated messages and decoding them with a descriptor built from the table
// alone.
//
// The table format, one row per line with tab-separated columns:
//
//	message <full name> <file>
//	field   <name> <number> <label+type> <oneof>
//	enum    <full name> <values>
//	rpc     <service>/<method> <request> -> <response>
//
// Field rows belong to the message row above them; an rpc's request and
// response may be prefixed with "stream ". Enum and rpc rows carry no file:
// an enum is taken to live in the file of the message rows it follows.
//
// It is test support only: nothing but _test.go files may import it, and it
// must not import the generated packages it checks, so that one copy of the
// comparison serves every contract (configpb, dashboardpb, ...).
package wirespec

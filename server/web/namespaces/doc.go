// Package namespaces is the namespaces screen of the web console: the tree
// of namespaces the viewer can see (filterable and paged), one namespace
// with its children and the forms that create, rename, move and delete
// namespaces, and the roles granted on a namespace to users and groups
// (granted here, or inherited from the namespaces above it).
//
// It reads and changes namespaces and permissions only through the use
// cases (package manage), which check the viewer's role, validate and log.
// Its forms name their inputs as the use cases name the fields they
// refuse, so that a refusal lands next to its input.
package namespaces

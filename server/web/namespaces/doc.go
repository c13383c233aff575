// Package namespaces is the namespaces screen of the web console: the tree
// of namespaces the viewer can see (filterable and paged), one namespace
// with its children and the forms that create, rename, move and delete
// namespaces, and the roles granted on a namespace to users and groups
// (granted here, or inherited from the namespaces above it).
//
// It changes nothing itself: every change goes through the API's
// NamespaceService and NamespacePermissionService, which check the
// viewer's role, validate and log. It reads the store only for what those
// services do not offer cheaply: the whole tree with parent links, one
// page of children, and one page of the grants of one namespace.
package namespaces

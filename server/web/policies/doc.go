// Package policies is the policies screen of the web console: the list of
// a namespace's policies, filtered and paginated on the server; the editor
// of a policy's PPL with validation as the viewer types (by the function
// the policy service validates with) and a plain-HTML builder that writes
// PPL from rows of criteria; the routes that use a policy; and deletion.
//
// It changes nothing itself: every write goes through the policy service,
// which holds the rules (roles, enforced policies, versions, origins). The
// screen only hides what the service would refuse and shows why.
package policies

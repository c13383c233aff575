// Package policies is the policies screen of the web console: the list of
// a namespace's policies, filtered and paginated on the server; the editor
// of a policy's PPL with validation as the viewer types (by the function
// the use cases validate with) and a plain-HTML builder that writes PPL
// from rows of criteria; the routes that use a policy; and deletion.
//
// It reads and changes policies only through the use cases (package
// manage), which hold the rules (roles, enforced policies, versions,
// origins). The screen only hides what they would refuse, asking their
// table of actions, and shows why they refused.
package policies

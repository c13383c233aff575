// Package rbac decides what a caller may do: roles viewer < manager < admin
// granted per namespace to users and groups, inherited by every namespace
// below, with the configured administrators and recovery tokens on top.
package rbac

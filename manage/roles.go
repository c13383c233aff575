package manage

import (
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// Action is something a caller does in a namespace. Needs says which role
// each takes: the use cases refuse a caller without it, and the web
// console hides the controls of actions the viewer may not take. Roles are
// inherited: a role in a namespace holds in every namespace below it.
type Action string

// The actions, by the namespace they are taken in.
const (
	// View reads a namespace and everything in it: routes, policies, key
	// pairs (without their private keys), service accounts, permissions and
	// its activity log.
	View Action = "view"
	// EditRoutes creates, changes, moves and deletes the routes of a
	// namespace (moving takes it in both namespaces).
	EditRoutes Action = "edit-routes"
	// SeeRouteSecrets shows the secrets of the routes of a namespace (an
	// IdP client secret, a Kubernetes token): whoever may change a route may
	// read what it holds.
	SeeRouteSecrets Action = "see-route-secrets"
	// EditPolicies creates, changes and deletes the policies of a namespace
	// that are not enforced.
	EditPolicies Action = "edit-policies"
	// EnforcePolicies creates, changes, enforces and deletes enforced
	// policies, which bind every route in and below the namespace.
	EnforcePolicies Action = "enforce-policies"
	// EditNamespaces creates, renames, moves and deletes the namespaces
	// directly below a namespace.
	EditNamespaces Action = "edit-namespaces"
	// EditGlobalNamespace renames the Global namespace, which has no parent.
	EditGlobalNamespace Action = "edit-global-namespace"
	// EditKeyPairs creates, changes and deletes the certificates and keys
	// of a namespace.
	EditKeyPairs Action = "edit-key-pairs"
	// EditServiceAccounts creates, changes and deletes the service accounts
	// of a namespace; the roles they act with are granted by GrantRoles.
	EditServiceAccounts Action = "edit-service-accounts"
	// GrantRoles grants, changes and revokes roles on a namespace.
	GrantRoles Action = "grant-roles"
	// Import loads the routes of a Pomerium configuration file into a
	// namespace; key pairs and enforced policies in it take EditKeyPairs and
	// EnforcePolicies too.
	Import Action = "import"
	// EditSettings changes the settings of a cluster (in the cluster's
	// namespace; the default cluster's are in the Global namespace).
	EditSettings Action = "edit-settings"
	// SeeSettingsSecrets shows the secrets of the settings (shared secret,
	// cookie secret, IdP client secret, …): with them one could write to
	// the databroker or forge sessions.
	SeeSettingsSecrets Action = "see-settings-secrets"
	// ReadAllActivity reads the activity log of every namespace at once
	// (in the Global namespace).
	ReadAllActivity Action = "read-all-activity"
	// LookUpUsers reads what the console knows of another user, with that
	// user's roles everywhere (in the Global namespace).
	LookUpUsers Action = "look-up-users"
	// ManageClusters adds, changes and deletes clusters (in the Global
	// namespace). A cluster is seen by the viewers of its namespace.
	ManageClusters Action = "manage-clusters"
	// MoveBetweenClusters moves a route or a namespace from one cluster to
	// another: it takes this in the namespaces of both clusters, besides
	// what the move takes anyway.
	MoveBetweenClusters Action = "move-between-clusters"
	// SeeSessions lists and reads the sessions, users and devices that
	// Pomerium keeps in a cluster's databroker (in the cluster's namespace;
	// the default cluster's is the Global namespace).
	SeeSessions Action = "see-sessions"
	// SignOut deletes sessions of a cluster's databroker: their holders
	// must sign in again.
	SignOut Action = "sign-out"
	// Impersonate makes the caller's own Pomerium session act as another
	// one (in the Global namespace: only Global admins).
	Impersonate Action = "impersonate"
	// ManageDevices approves and deletes the devices of a cluster, creates
	// enrollments and edits its device types.
	ManageDevices Action = "manage-devices"
	// ManageDataSources adds, changes and deletes the external data sources
	// that feed a cluster's databroker, and reads them (their headers may
	// hold credentials).
	ManageDataSources Action = "manage-data-sources"
)

// Needs is the role each action takes in its namespace.
var Needs = map[Action]store.Role{
	View:                store.RoleViewer,
	EditRoutes:          store.RoleManager,
	SeeRouteSecrets:     store.RoleManager,
	EditPolicies:        store.RoleManager,
	EnforcePolicies:     store.RoleAdmin,
	EditNamespaces:      store.RoleManager,
	EditGlobalNamespace: store.RoleAdmin,
	EditKeyPairs:        store.RoleAdmin,
	EditServiceAccounts: store.RoleManager,
	GrantRoles:          store.RoleAdmin,
	Import:              store.RoleManager,
	EditSettings:        store.RoleAdmin,
	SeeSettingsSecrets:  store.RoleAdmin,
	ReadAllActivity:     store.RoleViewer,
	LookUpUsers:         store.RoleAdmin,
	ManageClusters:      store.RoleAdmin,
	MoveBetweenClusters: store.RoleAdmin,
	SeeSessions:         store.RoleAdmin,
	SignOut:             store.RoleAdmin,
	Impersonate:         store.RoleAdmin,
	ManageDevices:       store.RoleAdmin,
	ManageDataSources:   store.RoleAdmin,
}

// needs is the role an action takes; an action missing from the table
// takes more than any role, so that a mistake refuses rather than allows.
func needs(a Action) (store.Role, bool) {
	r, ok := Needs[a]
	return r, ok
}

// May reports whether the caller may take action a in a namespace.
func (c *Caller) May(a Action, namespaceID string) bool {
	want, ok := needs(a)
	return ok && rbac.AtLeast(c.Role(namespaceID), want)
}

// policyAction is what writing or deleting a policy takes.
func policyAction(p *store.Policy) Action {
	if p.Enforced {
		return EnforcePolicies
	}
	return EditPolicies
}

// namespaceScope is the namespace, and the action in it, that changing ns
// takes: editing the namespaces of its parent, or for the Global
// namespace, which has none, editing the Global namespace.
func namespaceScope(ns *store.Namespace) (Action, string) {
	if ns.NamespaceID == "" {
		return EditGlobalNamespace, ns.ID
	}
	return EditNamespaces, ns.NamespaceID
}

// atLeast reports whether role have grants everything want does.
func atLeast(have, want store.Role) bool { return rbac.AtLeast(have, want) }
